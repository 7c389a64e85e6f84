package sampler

// Info describes one step over all chains.
type Info struct {
	// GammaMean, GammaMin and GammaMax summarise the step sizes γ used (over coordinates);
	// for HMC they describe the leapfrog step h of each chain.
	GammaMean, GammaMin, GammaMax float64
	// Clipped is the fraction of AniLA's units (coordinates, pixels or chains) whose
	// gradient magnitude exceeded the threshold b, so that their step was shrunk.
	Clipped float64
	// GradNorm is the mean over chains of ‖∇f(z)‖ at the step's start.
	GradNorm float64
	// Accept is the fraction of proposals accepted (1 for unadjusted samplers).
	Accept float64
	// AcceptProb is the mean over chains of the Metropolis acceptance probability
	// min(1, α), the statistic a warm-up adapts the step size by (1 for unadjusted
	// samplers outside a warm-up).
	AcceptProb float64
	// StepSize is the configured step size η (HMC: h) the step used, before any anisotropy.
	StepSize float64
	// GradEvals is the number of gradient evaluations per chain the step took (HMC: L).
	GradEvals float64
}

// Add accumulates o into i, for averaging steps with Scale.
func (i *Info) Add(o Info) {
	i.GammaMean += o.GammaMean
	i.GammaMin += o.GammaMin
	i.GammaMax += o.GammaMax
	i.Clipped += o.Clipped
	i.GradNorm += o.GradNorm
	i.Accept += o.Accept
	i.AcceptProb += o.AcceptProb
	i.StepSize += o.StepSize
	i.GradEvals += o.GradEvals
}

// Scale multiplies every field by s.
func (i *Info) Scale(s float64) {
	i.GammaMean *= s
	i.GammaMin *= s
	i.GammaMax *= s
	i.Clipped *= s
	i.GradNorm *= s
	i.Accept *= s
	i.AcceptProb *= s
	i.StepSize *= s
	i.GradEvals *= s
}
