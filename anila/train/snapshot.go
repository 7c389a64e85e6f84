package train

import "math/rand/v2"

// snapshot is the state a recovery (Config.Recover) rolls back to: everything an iteration
// changes except the history, of which only the length is kept (History columns only grow,
// so cutting them back to that length restores them). It is copied into buffers allocated
// on the first snapshot and reused, so taking one costs O(model), not O(history), and
// allocates nothing.
type snapshot[T ~float32 | ~float64] struct {
	valid   bool
	iter    int
	histLen int
	pcg     rand.PCG
	params  []T
	avg     []T
	m, v    []float64
	t       int
	buffer  []T
	sn      []float64
}

// copyInto copies src into dst, reusing dst's storage when it is large enough; a nil src
// gives a nil dst (no average, no buffer).
func copyInto[E any](dst, src []E) []E {
	if src == nil {
		return nil
	}
	if cap(dst) < len(src) {
		dst = make([]E, len(src))
	}
	dst = dst[:len(src)]
	copy(dst, src)
	return dst
}

// takeSnapshot records the trainer's state in t.snap (see snapshot).
func (t *Trainer[T]) takeSnapshot() {
	s := &t.snap
	s.valid, s.iter, s.histLen, s.pcg, s.t = true, t.Iter, t.History.Len(), *t.pcg, t.opt.T
	s.params = copyInto(s.params, t.Params)
	s.avg = copyInto(s.avg, t.Average)
	s.m = copyInto(s.m, t.opt.M)
	s.v = copyInto(s.v, t.opt.V)
	s.buffer = copyInto(s.buffer, t.Buffer)
	s.sn = t.Net.AppendSpectralState(s.sn[:0])
}

// restoreSnapshot rolls the trainer back to t.snap, keeping its data; the undo log is
// cleared, as its records are of iterations after the snapshot.
func (t *Trainer[T]) restoreSnapshot() {
	s := &t.snap
	t.undo.cur.valid, t.undo.prev.valid = false, false
	copy(t.Params, s.params)
	copy(t.Average, s.avg)
	copy(t.opt.M, s.m)
	copy(t.opt.V, s.v)
	t.opt.T = s.t
	copy(t.Buffer, s.buffer)
	*t.pcg = s.pcg
	if len(s.sn) > 0 {
		t.Net.SetSpectralState(s.sn)
	}
	t.Iter = s.iter
	for _, col := range t.History.Columns() {
		*col = (*col)[:s.histLen]
	}
}
