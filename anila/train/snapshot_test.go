package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
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

// TestRecoveryUnchanged: runs that roll back to recovery snapshots (some older than the last
// SnapshotEvery boundary, so the history is cut back, one exhausting its recoveries) end in
// exactly the state they ended in when the snapshots were whole Marshal'd trainers (digests
// recorded with that code, amd64).
func TestRecoveryUnchanged(t *testing.T) {
	for _, c := range []struct {
		lr   float64
		f32  bool
		want string
	}{
		{0.3, false, "6f254e8590026298f4def353f0a376ac3263e9513fe6d250fb528a820db04d2a"},
		{0.5, false, "4858d2d3dc5627d65db41fd910910878048d907d670ae66a1d72b4519e19acfd"},
		{0.5, true, "465b430a5379e3b65361c686df86b0d958f66decbcbe4ccc665029ffd9c0d0f7"},
	} {
		cfg := smallConfig()
		cfg.Optimizer, cfg.LR, cfg.L2, cfg.EMA, cfg.Recover = SGD, c.lr, 0, 0.99, 10
		var (
			n          int
			err        error
			got        string
			recoveries []int
		)
		if c.f32 {
			tr := newTrainer32(t, cfg)
			n, err = tr.Run(300, nil)
			got, recoveries = stateDigest(tr), tr.Recoveries
		} else {
			tr := newTrainer(t, cfg)
			n, err = tr.Run(300, nil)
			got, recoveries = stateDigest(tr), tr.Recoveries
		}
		var de *DivergenceError
		if err != nil && !errors.As(err, &de) {
			t.Fatal(err)
		}
		t.Logf("lr %g float32 %v: %d iterations, error %v, recoveries %v, digest %s", c.lr, c.f32, n, err, recoveries, got)
		if runtime.GOARCH == "amd64" && got != c.want {
			t.Errorf("lr %g float32 %v: digest %s, want %s", c.lr, c.f32, got, c.want)
		}
	}
}

func newTrainer32(t testing.TB, cfg Config) *Trainer[float32] {
	t.Helper()
	x64, _ := data.Toy("8gaussians", 2000, 1)
	x := make([]float32, len(x64))
	for i, v := range x64 {
		x[i] = float32(v)
	}
	tr, err := New[float32](cfg, smallArch, x, 2000)
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
