package run

import (
	"flag"
	"math"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/metric"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
	"github.com/anila-ebm/anila/anila/train"
)

// qualityTier is "quick" (make test: a shortened run) or "full" (make test-quality: the
// defaults' whole run).
var qualityTier = flag.String("quality", "quick", "training-quality tier: quick or full")

// TestDefaultsImproveMMD trains what the run table's defaults resolve to for toy data (no
// parameter given: the standardised 3×128 SiLU MLP, K = 40, jumps, the parameters' average)
// and requires MMD² to held-out data (σ = 0.2, after 100 more sampler steps from the buffer)
// to fall well below the untrained model's. The quick tier trains 600 iterations, the full
// tier the default 6,600.
func TestDefaultsImproveMMD(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	if nn.PureGo() {
		t.Skip("training is chaotic: the targets hold for the cblas build; run with -tags cblas")
	}
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
				iters = 600
			}
			x32 := make([]float32, len(x))
			for i, v := range x {
				x32[i] = float32(v)
			}
			untrained, err := train.New[float32](r.Config, r.Arch, x32, 10000)
			if err != nil {
				t.Fatal(err)
			}
			before := mmdOfBuffer(t, untrained, held)
			tr, err := train.New[float32](r.Config, r.Arch, x32, 10000)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Run(iters, nil); err != nil {
				t.Fatal(err)
			}
			after := mmdOfBuffer(t, tr, held)
			ratio := before / math.Max(after, 1e-12)
			t.Logf("%s, %d iterations: MMD² %.5f -> %.5f (%.1fx)", set, iters, before, after, ratio)
			if ratio < 4 {
				t.Errorf("the defaults reduced MMD² %.2fx, want >= 4x", ratio)
			}
		})
	}
}

// mmdOfBuffer draws 1000 chains from the trainer's replay buffer (noise for an untrained
// one), runs 100 sampler steps on the model's energy and returns MMD² (σ = 0.2) to held.
func mmdOfBuffer(t *testing.T, tr *train.Trainer[float32], held []float64) float64 {
	t.Helper()
	n, d := 1000, tr.Dim()
	src := sampler.NewRandSource[float32](99)
	z := make([]float32, n*d)
	rows := len(tr.Buffer) / d
	lo, hi := tr.Config.NoiseLo, tr.Config.NoiseHi
	for k := 0; k < n; k++ {
		if tr.Iter == 0 {
			for i := 0; i < d; i++ {
				z[k*d+i] = float32(lo + (hi-lo)*src.Rand.Float64())
			}
			continue
		}
		j := src.Rand.IntN(rows)
		copy(z[k*d:(k+1)*d], tr.Buffer[j*d:(j+1)*d])
	}
	if _, err := sampler.Run(tr.Config.Sampler, nn.NewNetEnergy(tr.Net, tr.ModelParams()), z, n, 100, src); err != nil {
		t.Fatal(err)
	}
	z64 := make([]float64, len(z))
	for i, v := range z {
		z64[i] = float64(v)
	}
	v, err := metric.MMD2(z64, n, held, len(held)/d, d, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
