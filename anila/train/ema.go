package train

// updateAverage folds the parameters after an optimizer step into their moving average
// (Config.EMA): a ← β'·a + (1 − β')·θ with β' = min(β, (1 + n)/(10 + n)) after n earlier
// updates, so that the average follows the parameters closely in a run's first iterations
// (where θ moves fast and its starting value says nothing) and averages over about
// 1/(1 − β) iterations later. A no-op without an average.
func (t *Trainer[T]) updateAverage() {
	if t.Average == nil {
		return
	}
	n := float64(t.Iter)
	b := min(t.Config.EMA, (1+n)/(10+n))
	for i, p := range t.Params {
		t.Average[i] = T(b*float64(t.Average[i]) + (1-b)*float64(p))
	}
}

// ModelParams are the parameters the trained model's energy uses: the moving average under
// Config.EMA, else Params. The slice stays the same for the trainer's life, so an energy
// built on it follows training.
func (t *Trainer[T]) ModelParams() []T {
	if t.Average != nil {
		return t.Average
	}
	return t.Params
}
