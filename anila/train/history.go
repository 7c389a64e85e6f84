package train

// History holds one entry per training iteration, column by column.
type History struct {
	// FData and FSample are mean f over the data batch and over the samples.
	FData, FSample []float64
	// Gap is FData − FSample, the likelihood gradient's driving term.
	Gap []float64
	// GradNorm is the norm of the parameter gradient (before clipping).
	GradNorm []float64
	// Sampler statistics averaged over the iteration's K steps (see sampler.Info).
	GammaMean, GammaMin, GammaMax, Clipped, SampleGradNorm, Accept []float64
	// Seconds is the wall time of the iteration.
	Seconds []float64
	// JumpAccept is the acceptance rate of the data-driven jumps (jump.go; NaN without).
	JumpAccept []float64
}

// HistoryFields lists the History columns by the names the Python API uses.
var HistoryFields = []string{"f_data", "f_sample", "gap", "grad_norm", "gamma_mean", "gamma_min",
	"gamma_max", "clipped", "sample_grad_norm", "accept", "seconds", "jump_accept"}

// Columns returns the columns in the order of HistoryFields.
func (h *History) Columns() []*[]float64 {
	return []*[]float64{&h.FData, &h.FSample, &h.Gap, &h.GradNorm, &h.GammaMean, &h.GammaMin,
		&h.GammaMax, &h.Clipped, &h.SampleGradNorm, &h.Accept, &h.Seconds, &h.JumpAccept}
}

// Len is the number of iterations recorded.
func (h *History) Len() int { return len(h.FData) }
