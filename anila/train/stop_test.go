package train

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

// stopAtCall is the sampler's energy with a trigger: its at-th evaluation sets stop, as a
// Ctrl-C during the Langevin steps would.
type stopAtCall[T nn.Float] struct {
	sampler.Energy[T]
	calls, at int
	stop      *atomic.Bool
}

func (e *stopAtCall[T]) EnergyGrad(x []T, n int, f, g []T) {
	e.Energy.EnergyGrad(x, n, f, g)
	e.calls++
	if e.calls == e.at {
		e.stop.Store(true)
	}
}

// stopConfig is smallConfig with the options whose state an iteration changes: jumps, the
// parameters' average and the adapted threshold.
func stopConfig() Config {
	cfg := smallConfig()
	cfg.EMA, cfg.Jump, cfg.JumpWidth, cfg.ThresholdQuantile = 0.99, 1, []float64{0.05}, 0.5
	cfg.Recover = 2
	return cfg
}

func stopArches() map[string]nn.Arch {
	return map[string]nn.Arch{
		"mlp": smallArch,
		"spectral": {Kind: "layers", In: 2, Layers: []nn.LayerSpec{{Type: "linear", Out: 16, SpectralNorm: true},
			{Type: "silu"}, {Type: "linear", Out: 16, SpectralNorm: true}, {Type: "silu"}, {Type: "linear", Out: 1}}},
	}
}

func newStopTrainer(t *testing.T, arch nn.Arch) *Trainer[float64] {
	t.Helper()
	x, _ := data.Toy("8gaussians", 2000, 1)
	tr, err := New[float64](stopConfig(), arch, x, 2000)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestStopWithinIteration: a stop request during the Langevin steps of iteration n abandons
// that iteration whole: Run returns n − 1 and no error, and the trainer is exactly a trainer
// of n − 1 iterations (parameters, average, optimizer, buffer, random stream, spectral state,
// threshold, history). Training on from there is bit-identical to a run never interrupted.
func TestStopWithinIteration(t *testing.T) {
	const total, n = 40, 23
	for name, arch := range stopArches() {
		t.Run(name, func(t *testing.T) {
			ref := newStopTrainer(t, arch)
			if _, err := ref.Run(n-1, nil); err != nil {
				t.Fatal(err)
			}
			whole := newStopTrainer(t, arch)
			if _, err := whole.Run(total, nil); err != nil {
				t.Fatal(err)
			}
			k := stopConfig().Steps
			for _, after := range []int{0, 1, 2, k - 1} { // the steps of iteration n done when stop is set
				tr := newStopTrainer(t, arch)
				var stop atomic.Bool
				trig := &stopAtCall[float64]{Energy: tr.smp.Energy, stop: &stop, at: (n-1)*(k+1) + 1 + after}
				tr.smp.Energy = trig
				got, err := tr.Run(total, &stop)
				if err != nil {
					t.Fatal(err)
				}
				if got != n-1 || tr.Iter != n-1 {
					t.Fatalf("stopped after %d of the %d steps of iteration %d: Run returned %d, Iter %d, want %d",
						after, k, n, got, tr.Iter, n-1)
				}
				if a, b := stateDigest(tr), stateDigest(ref); a != b {
					t.Fatalf("stopped after %d of the %d steps of iteration %d: the trainer differs from one of %d iterations",
						after, k, n, n-1)
				}
				stop.Store(false)
				if got, err := tr.Run(total-tr.Iter, &stop); err != nil || got != total-(n-1) {
					t.Fatalf("continuing: %d iterations, %v", got, err)
				}
				if a, b := stateDigest(tr), stateDigest(whole); a != b {
					t.Fatalf("stopped after %d steps of iteration %d and continued: differs from an uninterrupted run", after, n)
				}
			}
		})
	}
}

// TestStopBetweenIterations: a stop request outside the Langevin steps (here from the
// gradient hook of iteration n) lets that iteration finish; Run then returns n. A stop set
// before Run does no iteration.
func TestStopBetweenIterations(t *testing.T) {
	const n = 7
	ref := newStopTrainer(t, smallArch)
	if _, err := ref.Run(n, nil); err != nil {
		t.Fatal(err)
	}
	tr := newStopTrainer(t, smallArch)
	var stop atomic.Bool
	tr.GradHook = func(iter int, _ []float64) error {
		if iter == n {
			stop.Store(true)
		}
		return nil
	}
	got, err := tr.Run(30, &stop)
	if err != nil || got != n {
		t.Fatalf("Run returned %d, %v; want %d", got, err, n)
	}
	if stateDigest(tr) != stateDigest(ref) {
		t.Fatalf("the trainer differs from one of %d iterations", n)
	}
	if got, err := tr.Run(30, &stop); err != nil || got != 0 || tr.Iter != n {
		t.Fatalf("with stop set: Run returned %d, %v, Iter %d", got, err, tr.Iter)
	}
}

// TestStopKeepsTheUndoLog: stopping during the iteration before a divergence and continuing
// ends as the uninterrupted run does, where the divergence undoes two iterations (the
// update that made the energy non-finite is the previous iteration's): the abandoned
// iteration leaves the record of the previous one's start in the undo log.
func TestStopKeepsTheUndoLog(t *testing.T) {
	for _, lr := range []float64{1, 3, 10, 30} {
		cfg := smallConfig()
		cfg.Optimizer, cfg.LR, cfg.L2 = SGD, lr, 0
		whole := newTrainer(t, cfg)
		_, err := whole.Run(200, nil)
		var de *DivergenceError
		if !errors.As(err, &de) || whole.Iter != de.Iter-2 {
			continue // not a divergence that undoes two iterations
		}
		k := cfg.Steps
		tr := newTrainer(t, cfg)
		var stop atomic.Bool
		tr.smp.Energy = &stopAtCall[float64]{Energy: tr.smp.Energy, stop: &stop, at: (de.Iter-1)*(k+1) + 2}
		if got, err := tr.Run(200, &stop); err != nil || got != de.Iter-1 {
			t.Fatalf("lr %g: stopped in iteration %d: Run returned %d, %v", lr, de.Iter, got, err)
		}
		stop.Store(false)
		_, err2 := tr.Run(200, &stop)
		if err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("lr %g: continuing after the stop: %v, uninterrupted: %v", lr, err2, err)
		}
		if stateDigest(tr) != stateDigest(whole) {
			t.Fatalf("lr %g: after %v: the interrupted run ends at iteration %d, the uninterrupted one at %d",
				lr, err, tr.Iter, whole.Iter)
		}
		t.Logf("lr %g: %v; both end at iteration %d", lr, err, tr.Iter)
		return
	}
	t.Fatal("no learning rate gave a divergence that undoes two iterations")
}
