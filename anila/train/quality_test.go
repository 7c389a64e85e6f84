package train

import (
	"flag"
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/metric"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

// qualityCase is a training run that must bring MMD² to held-out data well below the
// untrained model's (qualityRuns gives the factor).
type qualityCase struct {
	set    string
	method sampler.Method
	cfg    func() Config
	arch   nn.Arch
	iters  int
}

// scoreBandwidth is narrow on purpose: kernels of 0.5 and wider cannot tell blurred rings
// from sharp ones (see docs/design.md, "Facts the defaults rest on").
const scoreBandwidth = 0.2

// scoreSteps are the sampler steps run from the buffer before scoring.
var scoreSteps = 100

// score draws 1000 chains from the replay buffer, runs 100 more sampler steps and returns
// MMD² (σ = scoreBandwidth) to the held-out points.
func score[T nn.Float](t *testing.T, tr *Trainer[T], held []float64, seed uint64) float64 {
	t.Helper()
	n, d := 1000, tr.Dim()
	src := sampler.NewRandSource[T](seed)
	rows := len(tr.Buffer) / d
	z := make([]T, n*d)
	for k := 0; k < n; k++ {
		j := src.Rand.IntN(rows)
		copy(z[k*d:(k+1)*d], tr.Buffer[j*d:(j+1)*d])
	}
	if _, err := sampler.Run(tr.Config.Sampler, nn.NewNetEnergy(tr.Net, tr.Params), z, n, scoreSteps, src); err != nil {
		t.Fatal(err)
	}
	z64 := make([]float64, len(z))
	for i, v := range z {
		z64[i] = float64(v)
	}
	v, err := metric.MMD2(z64, n, held, len(held)/d, d, scoreBandwidth)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runQuality trains the case in float32 (the product's default) and scores the untrained
// model (sampled from noise over the data's range) and the trained one.
func runQuality(t *testing.T, c qualityCase, seed uint64) (before, after, clipped float64) {
	x64, _ := data.Toy(c.set, 10000, seed)
	held, _ := data.Toy(c.set, 1000, seed+1000)
	x := make([]float32, len(x64))
	for i, v := range x64 {
		x[i] = float32(v)
	}
	cfg := c.cfg()
	cfg.Seed = seed
	// The baseline: the untrained model's samples, from uniform noise over the data's full
	// range (independent of the noise box training uses) plus the scoring steps.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x64 {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	base := cfg
	base.NoiseLo, base.NoiseHi = lo, hi
	untrained, err := New[float32](base, c.arch, x, 10000)
	if err != nil {
		t.Fatal(err)
	}
	before = score(t, untrained, held, seed+1)
	tr, err := New[float32](cfg, c.arch, x, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(c.iters, nil); err != nil {
		t.Fatal(err)
	}
	return before, score(t, tr, held, seed+1), tr.History.Clipped[tr.Iter-1]
}

// qualityTier picks how many runs TestTrainingImprovesMMD makes: "quick" (make test) or
// "full" (make test-quality: go test -run Improves ./anila/train -args -quality=full).
var qualityTier = flag.String("quality", "quick", "training-quality tier: quick (three seeds per case) or full (nine)")

// qualityRuns are the seeds per case and the median reduction they must reach. Single runs
// of the same settings vary by 2-10x between seeds, and so does a median of five (rings
// AniLA: 4.5x over seeds 1-5, 7.0x over seeds 1-9), so the full tier takes nine seeds and
// the 5x target. The quick tier takes seeds 1-3 and 4x: of the 36 full-tier runs measured
// (Haswell kernels) one fell below 4x (3.8x), so a median of three falls below it by chance
// in well under 1% of runs, while training that does not work gives about 1x.
func qualityRuns(t *testing.T) (seeds []uint64, want float64) {
	switch *qualityTier {
	case "quick":
		return []uint64{1, 2, 3}, 4
	case "full":
		return []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 5
	}
	t.Fatalf("-quality=%q: want quick or full", *qualityTier)
	return nil, 0
}

// TestTrainingImprovesMMD trains on rings and 8 Gaussians with SGLD and AniLA, over the
// seeds of the tier (qualityRuns), and requires the median MMD² reduction to reach its target.
func TestTrainingImprovesMMD(t *testing.T) {
	if *qualityTier != "full" {
		t.Skip("trains thirty-six models: make test-quality (-quality=full); make test trains the defaults briefly (anila/run)")
	}
	seeds, want := qualityRuns(t)
	if nn.PureGo() {
		// Training is chaotic: other rounding gives other models, and the targets below were
		// measured with the OpenBLAS build that `make test` and pip use (go test -tags cblas).
		t.Skip("the targets hold for the cblas build; run with -tags cblas")
	}
	for _, c := range qualityCases() {
		c := c
		t.Run(fmt.Sprintf("%s/%v", c.set, c.method), func(t *testing.T) {
			t.Parallel()
			var ratios []float64
			for _, seed := range seeds {
				before, after, clipped := runQuality(t, c, seed)
				r := before / after
				if after <= 0 {
					r = math.Inf(1) // below the estimator's noise: as good as it can tell
				}
				ratios = append(ratios, r)
				t.Logf("seed %d: MMD² %.5f -> %.5f (%.1fx); fraction clipped by b in the last iteration %.2f", seed, before, after, r, clipped)
			}
			sort.Float64s(ratios)
			med := ratios[len(ratios)/2]
			t.Logf("median reduction %.1fx over %d seeds (min %.1fx, max %.1fx)", med, len(ratios), ratios[0], ratios[len(ratios)-1])
			if med < want {
				t.Errorf("median MMD² reduction %.2fx, want >= %gx", med, want)
			}
		})
	}
}

// qualityCases train the trainer's reference configuration (referenceConfig; anila's
// defaults are anila/run's, whose own quality test trains them): a 2-128-128-1 LeakyReLU MLP,
// batch 128, K = 20, Adam 3e-3 with betas (0.9, 0.999), α = 0.1, clamp ±4.5, η = 0.005 for
// both samplers, AniLA's b = 10. On 8 Gaussians b = 10 never
// clips, which makes AniLA SGLD; that case uses η = 0.03, b = 3, where about half of the
// coordinates are clipped, so that the anisotropic step is what is tested.
// The first layer starts with its hyperplanes through data points (DataInit): without it
// the outer rings are smeared into one band.
func qualityCases() []qualityCase {
	arch := nn.Arch{Kind: "mlp", In: 2, Hidden: []int{128, 128}, Activation: "leakyrelu", Slope: 0.05}
	mk := func(set string, m sampler.Method, iters int, eta, b float64) qualityCase {
		return qualityCase{set: set, method: m, arch: arch, iters: iters, cfg: func() Config {
			c := referenceConfig()
			c.Sampler.Method = m
			c.Sampler.StepSize, c.Sampler.Threshold = eta, b
			c.Sampler.Lo, c.Sampler.Hi = -4.5, 4.5
			return c
		}}
	}
	return []qualityCase{
		// Measured medians over these nine seeds with the central noise box (CentralBox):
		// rings SGLD 7.4x, AniLA 7.0x; 8 Gaussians SGLD 8.6x, AniLA 8.3x. With the data's full
		// range as the noise box, over seeds 1-5: 4.5x, 2.8x, 9.9x and 8.8x.
		mk("rings", sampler.SGLD, 4000, 0.005, 10),
		mk("rings", sampler.AniLA, 4000, 0.005, 10),
		mk("8gaussians", sampler.SGLD, 2000, 0.005, 10),
		mk("8gaussians", sampler.AniLA, 2000, 0.03, 3),
	}
}
