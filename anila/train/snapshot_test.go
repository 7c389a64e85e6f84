package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"runtime"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
)

// stateDigest hashes everything of a trainer that training reads or writes, except the wall
// times in History.Seconds: parameters, average, optimizer, buffer, random stream, spectral
// state, iteration count, history, recoveries, learning rate and threshold.
func stateDigest[T nn.Float](tr *Trainer[T]) string {
	h := sha256.New()
	w := func(vs ...float64) {
		for _, v := range vs {
			binary.Write(h, binary.LittleEndian, math.Float64bits(v))
		}
	}
	wT := func(vs []T) {
		for _, v := range vs {
			w(float64(v))
		}
	}
	w(float64(tr.Iter), float64(tr.opt.T), tr.Config.LR, tr.Config.Sampler.Threshold, float64(len(tr.Recoveries)))
	for _, r := range tr.Recoveries {
		w(float64(r))
	}
	wT(tr.Params)
	wT(tr.Average)
	w(tr.opt.M...)
	w(tr.opt.V...)
	wT(tr.Buffer)
	st, _ := tr.pcg.MarshalBinary()
	h.Write(st)
	w(tr.Net.SpectralState()...)
	for i, col := range tr.History.Columns() {
		if HistoryFields[i] != "seconds" {
			w(float64(len(*col)))
			w(*col...)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// toyTrainer is a trainer of cfg on 2,000 points of 8 Gaussians in the element type T.
func toyTrainer[T nn.Float](t testing.TB, cfg Config) *Trainer[T] {
	t.Helper()
	x64, _ := data.Toy("8gaussians", 2000, 1)
	x := make([]T, len(x64))
	for i, v := range x64 {
		x[i] = T(v)
	}
	tr, err := New[T](cfg, smallArch, x, 2000)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestRecoverySnapshotCostsNoHistory: the recovery snapshot Run keeps (at its start and every
// SnapshotEvery iterations) copies the model's state into buffers allocated once, so taking
// one allocates nothing and its cost does not grow with the history. A run with Recover on
// allocates as much as one without, after a long history as after a short one.
func TestRecoverySnapshotCostsNoHistory(t *testing.T) {
	cfg := smallConfig()
	cfg.EMA = 0.99
	plain := newTrainer(t, cfg)
	cfg.Recover = 3
	rec := newTrainer(t, cfg)
	for _, tr := range []*Trainer[float64]{plain, rec} {
		if _, err := tr.Run(SnapshotEvery+1, nil); err != nil { // a first snapshot inside Run
			t.Fatal(err)
		}
	}
	for _, hist := range []int{SnapshotEvery + 1, 3*SnapshotEvery + 1} {
		for _, tr := range []*Trainer[float64]{plain, rec} {
			if _, err := tr.Run(hist-tr.Iter, nil); err != nil {
				t.Fatal(err)
			}
		}
		// Run(SnapshotEvery) takes two snapshots: at its start and after its last iteration.
		a0 := testing.AllocsPerRun(2, func() { plain.Run(SnapshotEvery, nil) })
		a1 := testing.AllocsPerRun(2, func() { rec.Run(SnapshotEvery, nil) })
		if a1 > a0+2 { // slack for the runtime's occasional own allocations (a sudog after a GC)
			t.Errorf("after %d iterations: Run(%d) allocates %v times with Recover, %v without",
				hist, SnapshotEvery, a1, a0)
		}
		b0, b1 := allocBytes(func() { plain.Run(SnapshotEvery, nil) }), allocBytes(func() { rec.Run(SnapshotEvery, nil) })
		if b1 > b0+1024 {
			t.Errorf("after %d iterations: Run(%d) allocates %d bytes with Recover, %d without", hist, SnapshotEvery, b1, b0)
		}
		if len(rec.Recoveries) != 0 {
			t.Fatalf("unexpected recoveries %v", rec.Recoveries)
		}
	}
	if n := testing.AllocsPerRun(10, func() { rec.takeSnapshot() }); n != 0 {
		t.Errorf("a snapshot after %d iterations allocates %v times", rec.Iter, n)
	}
}

// allocBytes is the number of bytes f allocates on the heap.
func allocBytes(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestRecoverySnapshotRestoresEverything: restoring a snapshot gives back the state it was
// taken in, spectral normalisation's vectors included, with the history cut back to its length.
func TestRecoverySnapshotRestoresEverything(t *testing.T) {
	arch := nn.Arch{Kind: "layers", In: 2, Layers: []nn.LayerSpec{{Type: "linear", Out: 16, SpectralNorm: true},
		{Type: "silu"}, {Type: "linear", Out: 1}}}
	x, _ := data.Toy("8gaussians", 1000, 1)
	cfg := smallConfig()
	cfg.EMA, cfg.Jump, cfg.JumpWidth = 0.99, 1, []float64{0.1}
	tr, err := New[float64](cfg, arch, x, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(3, nil); err != nil {
		t.Fatal(err)
	}
	want := stateDigest(tr)
	tr.takeSnapshot()
	if _, err := tr.Run(4, nil); err != nil {
		t.Fatal(err)
	}
	tr.restoreSnapshot()
	if got := stateDigest(tr); got != want {
		t.Fatal("the restored trainer differs from the one the snapshot was taken of")
	}
}
