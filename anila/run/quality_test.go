package run

import (
	"flag"
	"math"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
	"github.com/anila-ebm/anila/anila/train"
)

// qualityTier is "quick" (make test: a shortened run) or "full" (make test-quality: the
// defaults' whole run).
var qualityTier = flag.String("quality", "quick", "training-quality tier: quick or full")

// TestDefaultsLearnTheData trains what the run table's defaults resolve to for toy data (no
// parameter given: the standardised 3×128 SiLU MLP, K = 40, jumps, the parameters' average)
// and requires the model to put its mass on the data: the mean energy of held-out points must
// exceed the mean energy of uniform noise on the data's bounding box by a margin (an untrained
// net gives about 0). The quick tier trains 200 iterations, the full tier the default 6,600.
func TestDefaultsLearnTheData(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	if nn.PureGo() {
		t.Skip("training is chaotic: the targets hold for the cblas build; run with -tags cblas")
	}
	// Measured after 200 iterations (seed 1): rings 1.97, 8 Gaussians 1.86, the same with
	// OpenBLAS's Haswell and Prescott kernels; an untrained net gives 0.00. A trainer that
	// does not learn stays near 0, so the bound is half the measurement, for both tiers.
	const want = 1.0
	for _, set := range []string{"rings", "8gaussians"} {
		t.Run(set, func(t *testing.T) {
			t.Parallel()
			const seed = 1
			x, _ := data.Toy(set, 10000, seed)
			held, _ := data.Toy(set, 1000, seed+1000)
			req := Request{Params: map[string]any{"seed": seed}, Shape: []int{2}, Summary: Summarize(x, 10000, 2).Flat()}
			r, err := Resolve(req)
			if err != nil {
				t.Fatal(err)
			}
			iters := r.Plan.Iterations
			if *qualityTier == "quick" {
				iters = 200
			}
			x32 := make([]float32, len(x))
			for i, v := range x {
				x32[i] = float32(v)
			}
			tr, err := train.New[float32](r.Config, r.Arch, x32, 10000)
			if err != nil {
				t.Fatal(err)
			}
			before := dataOverNoise(tr, held)
			if _, err := tr.Run(iters, nil); err != nil {
				t.Fatal(err)
			}
			after := dataOverNoise(tr, held)
			t.Logf("%s, %d iterations: mean f(held-out) − mean f(noise) %.3f -> %.3f", set, iters, before, after)
			if after < want {
				t.Errorf("the defaults' model favours held-out data over noise by %.3f, want >= %g", after, want)
			}
		})
	}
}

// dataOverNoise is mean f(held) − mean f(z) over 2000 points z uniform on the bounding box of
// held, with the energy the model uses (the parameters' average under EMA).
func dataOverNoise(tr *train.Trainer[float32], held []float64) float64 {
	d := tr.Dim()
	e := nn.NewNetEnergy(tr.Net, tr.ModelParams())
	mean := func(x []float32) float64 {
		n := len(x) / d
		f := make([]float32, n)
		e.Forward(x, n, f)
		s := 0.0
		for _, v := range f {
			s += float64(v)
		}
		return s / float64(n)
	}
	h := make([]float32, len(held))
	for i, v := range held {
		h[i] = float32(v)
	}
	src := sampler.NewRandSource[float32](99)
	z := make([]float32, 2000*d)
	lo, hi := make([]float64, d), make([]float64, d)
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	for i, v := range held {
		lo[i%d], hi[i%d] = math.Min(lo[i%d], v), math.Max(hi[i%d], v)
	}
	for i := range z {
		z[i] = float32(lo[i%d] + (hi[i%d]-lo[i%d])*src.Rand.Float64())
	}
	return mean(h) - mean(z)
}
