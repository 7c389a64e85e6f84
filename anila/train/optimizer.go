package train

import "math"

// optState is the optimizer's state: Adam's moments (or SGD's momentum in M) and the step.
type optState struct {
	M, V []float64
	T    int
}

// update applies one descent step of learning rate lr on the loss gradient g to p, as
// torch.optim computes it.
func update[T ~float32 | ~float64](c *Config, s *optState, lr float64, p, g []T) {
	s.T++
	switch c.Optimizer {
	case Adam:
		b1, b2 := c.Beta1, c.Beta2
		bc1 := 1 - math.Pow(b1, float64(s.T))
		bc2 := 1 - math.Pow(b2, float64(s.T))
		step := lr / bc1
		sq := math.Sqrt(bc2)
		for i, gi := range g {
			gf := float64(gi)
			s.M[i] = b1*s.M[i] + (1-b1)*gf
			s.V[i] = b2*s.V[i] + (1-b2)*gf*gf
			p[i] -= T(step * s.M[i] / (math.Sqrt(s.V[i])/sq + c.Eps))
		}
	case SGD:
		for i, gi := range g {
			d := float64(gi)
			if c.Momentum > 0 {
				if s.T == 1 {
					s.M[i] = d
				} else {
					s.M[i] = c.Momentum*s.M[i] + d
				}
				d = s.M[i]
			}
			p[i] -= T(lr * d)
		}
	}
}
