package sampler

// Float is the element type: float32 or float64.
type Float interface {
	~float32 | ~float64
}

// Energy is an unnormalised log density f(x) (high f = likely) with its gradient.
type Energy[T Float] interface {
	// Dim is the dimension of one point.
	Dim() int
	// EnergyGrad writes f(x_i) into f (n) and ∇f(x_i) into g (n×Dim) for the n rows of x.
	EnergyGrad(x []T, n int, f, g []T)
}
