package train

import (
	"math"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

// TestQuantileSorted checks the interpolated quantile against NumPy's values.
func TestQuantileSorted(t *testing.T) {
	a := []float64{1, 2, 4, 8, 16}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.5, 4}, {0.3, 2.4}, {0.9, 12.8}, {0.999999, 15.999968}} {
		if got := quantileSorted(a, c.q); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("quantile %g = %g, want %g", c.q, got, c.want)
		}
	}
}

// TestThresholdQuantileAdapts trains a few iterations with b adapted to the median of |∂f/∂z_i|
// from a b that clips nothing, and checks that about half of the coordinates are then clipped,
// and that a fixed b stays as given.
func TestThresholdQuantileAdapts(t *testing.T) {
	x64, err := data.Toy("rings", 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(x64))
	for i, v := range x64 {
		x[i] = float32(v)
	}
	arch := nn.Arch{Kind: "mlp", In: 2, Hidden: []int{32, 32}, Activation: "silu"}
	for _, q := range []float64{0, 0.5} {
		c := referenceConfig()
		c.Sampler.Method = sampler.AniLA
		c.Sampler.Threshold = 1e6
		c.ThresholdQuantile = q
		c.BufferSize = 1000
		tr, err := New[float32](c, arch, x, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(30, nil); err != nil {
			t.Fatal(err)
		}
		b, clipped := tr.Config.Sampler.Threshold, tr.History.Clipped[len(tr.History.Clipped)-1]
		t.Logf("q = %g: b = %g, clipped %.2f", q, b, clipped)
		if q == 0 && (b != 1e6 || clipped != 0) {
			t.Fatalf("fixed b: b = %g, clipped %g; want 1e6 and 0", b, clipped)
		}
		if q > 0 && (b >= 1e6 || clipped < 0.3 || clipped > 0.7) {
			t.Fatalf("b adapted to the median: b = %g, clipped %g; want about half clipped", b, clipped)
		}
	}
	c := referenceConfig()
	c.ThresholdQuantile = 1
	if err := c.Validate(2); err == nil {
		t.Fatal("threshold_quantile 1 accepted")
	}
}

// TestLearningRateCosine checks the schedule's ends, midpoint and plateau.
func TestLearningRateCosine(t *testing.T) {
	c := referenceConfig()
	c.LR, c.LRDecay, c.LRFloor = 0.01, 100, 0.1
	for _, v := range []struct {
		iter int
		want float64
	}{{0, 0.01}, {50, 0.0055}, {100, 0.001}, {1000, 0.001}} {
		if got := c.LearningRate(v.iter); math.Abs(got-v.want) > 1e-12 {
			t.Errorf("lr at %d = %g, want %g", v.iter, got, v.want)
		}
	}
	c.LRDecay = 0
	if c.LearningRate(50) != 0.01 {
		t.Error("no decay: lr changed")
	}
	c.LRDecay, c.LRFloor = 10, 1.5
	if err := c.Validate(2); err == nil {
		t.Error("lr_floor 1.5 accepted")
	}
}
