package train

import "math/rand/v2"

// iterStart is what one training iteration changes, as it was when the iteration began:
// parameters, optimizer moments and step count, the random stream, and the replay-buffer
// rows the iteration overwrote (their indices and old contents). It lets a divergence undo
// iterations whole, so that the trainer is left exactly as after the last good iteration.
type iterStart[T ~float32 | ~float64] struct {
	valid  bool
	iter   int
	pcg    rand.PCG
	params []T
	avg    []T // the parameters' average, under Config.EMA
	m, v   []float64
	t      int
	rows   []int // buffer rows written, in order
	old    []T   // their previous contents, len(rows)×dim
	sn     []float64
}

// undoLog holds the starts of the running iteration (cur) and of the one before it (prev).
type undoLog[T ~float32 | ~float64] struct {
	cur, prev *iterStart[T]
}

func newUndoLog[T ~float32 | ~float64](nParams, batch, dim int, average bool) undoLog[T] {
	mk := func() *iterStart[T] {
		s := &iterStart[T]{params: make([]T, nParams), m: make([]float64, nParams), v: make([]float64, nParams),
			rows: make([]int, 0, batch), old: make([]T, 0, batch*dim)}
		if average {
			s.avg = make([]T, nParams)
		}
		return s
	}
	return undoLog[T]{cur: mk(), prev: mk()}
}

// beginIteration records the state at the start of an iteration; the previous record becomes prev.
func (t *Trainer[T]) beginIteration() {
	u := &t.undo
	u.cur, u.prev = u.prev, u.cur
	s := u.cur
	s.valid, s.iter, s.pcg, s.t = true, t.Iter, *t.pcg, t.opt.T
	copy(s.params, t.Params)
	copy(s.avg, t.Average)
	copy(s.m, t.opt.M)
	copy(s.v, t.opt.V)
	s.rows, s.old = s.rows[:0], s.old[:0]
	s.sn = t.Net.AppendSpectralState(s.sn[:0])
}

// writeBufferRow copies x into replay-buffer row j, recording the old row for undo.
func (t *Trainer[T]) writeBufferRow(j int, x []T) {
	d := t.Dim()
	row := t.Buffer[j*d : (j+1)*d]
	s := t.undo.cur
	s.rows = append(s.rows, j)
	s.old = append(s.old, row...)
	copy(row, x)
}

// rewind restores the trainer to the start of the running iteration, or (back2) of the one
// before it when that one was recorded: parameters, optimizer, random stream, buffer rows,
// iteration count and history.
func (t *Trainer[T]) rewind(back2 bool) {
	u := &t.undo
	target := u.cur
	t.undoRows(u.cur)
	if back2 && u.prev.valid && u.prev.iter == u.cur.iter-1 {
		t.undoRows(u.prev)
		target = u.prev
	}
	t.restoreStart(target)
	u.cur.valid, u.prev.valid = false, false
}

// abandon undoes the running iteration, unfinished, as rewind(false) does, but leaves the
// record of the previous iteration's start in place, as the undo log was before the
// abandoned iteration began: a divergence in the next iteration then undoes as much as it
// would have in a run that never started the abandoned one.
func (t *Trainer[T]) abandon() {
	u := &t.undo
	t.undoRows(u.cur)
	t.restoreStart(u.cur)
	u.cur.valid = false
	u.cur, u.prev = u.prev, u.cur
}

// undoRows puts back the replay-buffer rows the iteration of s overwrote, last first.
func (t *Trainer[T]) undoRows(s *iterStart[T]) {
	d := t.Dim()
	for k := len(s.rows) - 1; k >= 0; k-- {
		copy(t.Buffer[s.rows[k]*d:(s.rows[k]+1)*d], s.old[k*d:(k+1)*d])
	}
}

// restoreStart sets parameters, average, optimizer, random stream, spectral state,
// iteration count and history to what they were at the start s records (the buffer rows
// are undoRows').
func (t *Trainer[T]) restoreStart(target *iterStart[T]) {
	copy(t.Params, target.params)
	copy(t.Average, target.avg)
	copy(t.opt.M, target.m)
	copy(t.opt.V, target.v)
	t.opt.T = target.t
	*t.pcg = target.pcg
	if len(target.sn) > 0 {
		t.Net.SetSpectralState(target.sn)
	}
	for t.Iter > target.iter {
		t.Iter--
		for _, col := range t.History.Columns() {
			*col = (*col)[:len(*col)-1]
		}
	}
}
