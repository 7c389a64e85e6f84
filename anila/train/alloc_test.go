package train

import (
	"fmt"
	"slices"
	"testing"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

// reserveHistory gives every History column room for n more entries, so that a test can
// measure iterations apart from the amortised growth of the history, the one thing that
// grows with the run.
func reserveHistory(h *History, n int) {
	for _, col := range h.Columns() {
		*col = slices.Grow(*col, n)
	}
}

// iterationAllocs is the number of heap allocations of one training iteration, Run(1, nil),
// after warm-up, with the history's room reserved, by testing.AllocsPerRun: the mean over
// the runs rounded down, which an allocation in every iteration shows and the runtime's own
// occasional ones (a semaphore's sudog after a GC has emptied its cache, seen in the pool's
// WaitGroup) do not.
func iterationAllocs[T nn.Float](t *testing.T, cfg Config) float64 {
	t.Helper()
	tr := toyTrainer[T](t, cfg)
	if _, err := tr.Run(3, nil); err != nil { // warm-up: scratch grows, the jump's data subset is built
		t.Fatal(err)
	}
	const runs = 20
	reserveHistory(&tr.History, runs+1)
	return testing.AllocsPerRun(runs, func() {
		if _, err := tr.Run(1, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestIterationAllocatesNothing: a training iteration allocates nothing once the trainer is
// warmed up (the history's columns grow by amortised doubling, which the test reserves), with
// the options the point-data defaults turn on (jumps of a width per coordinate, the
// parameters' average, the threshold as referenceConfig has it), with an adapted threshold, and
// with recovery snapshots on (Run takes one at its start).
func TestIterationAllocatesNothing(t *testing.T) {
	base := smallConfig()
	base.Jump, base.JumpWidth, base.EMA = 1, []float64{0.05 * 2.9, 0.05 * 2.9}, 0.99
	variants := map[string]func(*Config){
		"defaults":           func(*Config) {},
		"threshold_quantile": func(c *Config) { c.ThresholdQuantile = 0.5 },
		"recover":            func(c *Config) { c.Recover = 3 },
		"sgld_noise_init":    func(c *Config) { c.Sampler.Method, c.Init, c.DataNoise = sampler.SGLD, InitNoise, 0.01 },
		"mala_clip":          func(c *Config) { c.Sampler.Adjusted, c.GradClip, c.Optimizer = true, 1, SGD },
	}
	for name, change := range variants {
		cfg := base
		change(&cfg)
		for _, f64 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/float64=%v", name, f64), func(t *testing.T) {
				var n float64
				if f64 {
					n = iterationAllocs[float64](t, cfg)
				} else {
					n = iterationAllocs[float32](t, cfg)
				}
				if n != 0 {
					t.Errorf("one iteration allocates %v times", n)
				}
			})
		}
	}
}
