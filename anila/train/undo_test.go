package train

import (
	"errors"
	"slices"
	"testing"
)

// TestDivergenceRollbackIsExact drives training into divergence and checks that what is
// left is exactly the trainer after its last good iteration: the same parameters, optimizer
// moments and step count, replay buffer and random stream as a fresh run of that many
// iterations, so that training on from there is the same as if the bad iterations had never
// run.
func TestDivergenceRollbackIsExact(t *testing.T) {
	seen := map[string]bool{}
	for _, lr := range []float64{3, 30, 300, 3e3, 3e4, 3e5} {
		cfg := smallConfig()
		cfg.Optimizer, cfg.LR, cfg.L2 = SGD, lr, 0
		tr := newTrainer(t, cfg)
		_, err := tr.Run(200, nil)
		var de *DivergenceError
		if !errors.As(err, &de) {
			continue
		}
		if tr.Iter < 2 {
			continue
		}
		seen[de.What[:min(len(de.What), 12)]] = true
		ref := newTrainer(t, cfg)
		if _, err := ref.Run(tr.Iter, nil); err != nil {
			t.Fatalf("lr %g: the reference run of %d iterations failed: %v", lr, tr.Iter, err)
		}
		if !slices.Equal(tr.Params, ref.Params) || !slices.Equal(tr.opt.M, ref.opt.M) ||
			!slices.Equal(tr.opt.V, ref.opt.V) || tr.opt.T != ref.opt.T {
			t.Fatalf("lr %g: after %v at iteration %d, parameters or optimizer differ from a clean run of %d iterations",
				lr, de.What, de.Iter, tr.Iter)
		}
		if !slices.Equal(tr.Buffer, ref.Buffer) {
			t.Fatalf("lr %g: replay buffer differs from a clean run of %d iterations", lr, tr.Iter)
		}
		if a, b := tr.rng.Uint64(), ref.rng.Uint64(); a != b {
			t.Fatalf("lr %g: random stream differs from a clean run (%x vs %x)", lr, a, b)
		}
		if len(tr.History.Gap) != tr.Iter {
			t.Fatalf("lr %g: history has %d entries for %d iterations", lr, len(tr.History.Gap), tr.Iter)
		}
	}
	if len(seen) == 0 {
		t.Fatal("no learning rate made training diverge after its second iteration")
	}
	t.Logf("divergences checked: %v", seen)
}
