package train

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// TestGradHookFeedsTheOptimizer: the hook sees every iteration's gradient, in order, before
// the optimizer. Doubling it under plain SGD is exactly training with twice the learning rate;
// a pass-through hook changes nothing.
func TestGradHookFeedsTheOptimizer(t *testing.T) {
	cfg := smallConfig()
	cfg.Optimizer, cfg.LR, cfg.Momentum = SGD, 0.01, 0
	plain := newTrainer(t, cfg)
	if _, err := plain.Run(20, nil); err != nil {
		t.Fatal(err)
	}
	pass := newTrainer(t, cfg)
	var iters []int
	pass.GradHook = func(iter int, grad []float64) error {
		iters = append(iters, iter)
		return nil
	}
	if _, err := pass.Run(20, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pass.Params, plain.Params) {
		t.Fatal("a pass-through hook changed training")
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}; !slices.Equal(iters, want) {
		t.Fatalf("hook called for iterations %v", iters)
	}

	cfg2 := cfg
	cfg2.LR = 2 * cfg.LR
	twice := newTrainer(t, cfg2)
	if _, err := twice.Run(20, nil); err != nil {
		t.Fatal(err)
	}
	doubled := newTrainer(t, cfg)
	doubled.GradHook = func(_ int, grad []float64) error {
		for i := range grad {
			grad[i] *= 2
		}
		return nil
	}
	if _, err := doubled.Run(20, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doubled.Params, twice.Params) {
		t.Fatal("doubling the gradient in the hook differs from doubling the learning rate")
	}
	if slices.Equal(doubled.Params, plain.Params) {
		t.Fatal("the hook's change of the gradient was not used")
	}
}

// TestGradHookErrorUndoesIteration: an error from the hook stops training with that error
// and leaves the trainer as after the last complete iteration.
func TestGradHookErrorUndoesIteration(t *testing.T) {
	cfg := smallConfig()
	boom := errors.New("peer gone")
	tr := newTrainer(t, cfg)
	tr.GradHook = func(iter int, grad []float64) error {
		if iter == 6 {
			clear(grad)
			return boom
		}
		return nil
	}
	n, err := tr.Run(10, nil)
	if !errors.Is(err, boom) || n != 5 || tr.Iter != 5 {
		t.Fatalf("Run = %d, %v (iteration %d); want 5 iterations and the hook's error", n, err, tr.Iter)
	}
	ref := newTrainer(t, cfg)
	if _, err := ref.Run(5, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tr.Params, ref.Params) || !slices.Equal(tr.Buffer, ref.Buffer) || tr.rng.Uint64() != ref.rng.Uint64() {
		t.Fatal("after the hook's error the trainer differs from a clean run of 5 iterations")
	}
}

// TestGradHookPeersDivergeTogether: in data-parallel training a divergence on one process
// must reach the others through the gradient hook. A process whose own energies are
// non-finite still calls the hook (with a gradient of NaNs) and then reports the divergence;
// a process whose hook brings back a non-finite gradient diverges at that same iteration,
// undone as a local divergence is (the iteration and the one before it).
func TestGradHookPeersDivergeTogether(t *testing.T) {
	cfg := smallConfig()
	cfg.Recover = 0

	local := newTrainer(t, cfg)
	var sawNaN []bool
	local.GradHook = func(iter int, grad []float64) error {
		all := true
		for _, g := range grad {
			all = all && math.IsNaN(g)
		}
		sawNaN = append(sawNaN, all)
		return nil
	}
	if _, err := local.Run(5, nil); err != nil {
		t.Fatal(err)
	}
	if err := local.SetData([]float64{1e300, -1e300}, 1); err != nil {
		t.Fatal(err)
	}
	_, err := local.Run(3, nil)
	var de *DivergenceError
	if !errors.As(err, &de) || de.Iter != 6 {
		t.Fatalf("a non-finite energy at iteration 6 gave %v", err)
	}
	if len(sawNaN) != 6 || slices.Contains(sawNaN[:5], true) || !sawNaN[5] {
		t.Fatalf("the hook saw all-NaN gradients at %v; want at the diverging 6th call only", sawNaN)
	}

	peer := newTrainer(t, cfg)
	peer.GradHook = func(iter int, grad []float64) error {
		if iter == 6 {
			grad[3] = math.NaN() // what an allreduce returns when another process diverged
		}
		return nil
	}
	_, err = peer.Run(10, nil)
	if !errors.As(err, &de) || de.Iter != 6 || peer.Iter != 4 {
		t.Fatalf("a NaN from the hook at iteration 6 gave %v at iteration %d; want a divergence at 6, undone to 4", err, peer.Iter)
	}
	ref := newTrainer(t, cfg)
	if _, err := ref.Run(4, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(peer.Params, ref.Params) || !slices.Equal(peer.Buffer, ref.Buffer) || peer.rng.Uint64() != ref.rng.Uint64() {
		t.Fatal("after the peer's divergence the trainer differs from a clean run of 4 iterations")
	}
}
