package train

import (
	"math"
	"slices"

	"github.com/anila-ebm/anila/anila/sampler"
)

// adaptThreshold sets AniLA's threshold b, for the next iteration, to the ThresholdQuantile
// quantile of the gradient magnitudes of this iteration's final chains over the units of the
// anisotropy (|∂f/∂z_i| per coordinate, norms per pixel or chain; sampler.UnitMagnitudes); a
// no-op when ThresholdQuantile is 0. b is kept in Config.Sampler, so checkpoints carry it and a resumed
// run continues with the same b. Non-finite gradients leave b as it was (the iteration then
// diverges on its energies anyway).
func (t *Trainer[T]) adaptThreshold() {
	q := t.Config.ThresholdQuantile
	if q <= 0 {
		return
	}
	a := sampler.UnitMagnitudes(t.Config.Sampler, t.state.G, t.Config.BatchSize, t.Dim(), t.absGrad[:0])
	for _, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
	}
	slices.Sort(a)
	b := quantileSorted(a, q)
	if b > 0 {
		t.Config.Sampler.Threshold = b
		t.smp.Config.Threshold = b
	}
}

// quantileSorted is the q-quantile of the sorted values a, interpolated linearly between
// order statistics (NumPy's default, method "linear").
func quantileSorted(a []float64, q float64) float64 {
	h := q * float64(len(a)-1)
	i := int(math.Floor(h))
	if i+1 >= len(a) {
		return a[len(a)-1]
	}
	return a[i] + (h-float64(i))*(a[i+1]-a[i])
}
