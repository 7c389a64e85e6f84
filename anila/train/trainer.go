package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

// DivergenceError reports a non-finite energy, gradient or parameter; the update of that
// iteration was not applied.
type DivergenceError struct {
	Iter int
	What string
}

func (e *DivergenceError) Error() string {
	return fmt.Sprintf("training diverged at iteration %d: %s", e.Iter, e.What)
}

// Trainer is the state of a training run: the net's parameters, the optimizer's moments,
// the replay buffer, the random stream and the history. It owns a copy of the data.
type Trainer[T nn.Float] struct {
	Config Config
	Arch   nn.Arch
	Net    *nn.Net[T]
	// Params are the parameters training updates.
	Params []T
	// Average is the moving average of Params under Config.EMA (ema.go), nil without it.
	// ModelParams says which of the two the model's energy uses.
	Average []T
	Iter    int
	History History
	// Buffer is the replay buffer (BufferSize × Dim) for InitBuffer, else nil.
	Buffer []T
	// Recoveries lists the iterations at which a divergence was rolled back (Config.Recover).
	Recoveries []int
	// Plan is the run's settings beyond Config (the run's target, seed, boxes as given;
	// anila/run resolves it), saved in checkpoints; nil for a trainer made without one.
	Plan *Plan
	// GradHook, when set, is called in every iteration with its number and the parameter
	// gradient of the loss, right after the gradient is computed and before clipping and the
	// optimizer step. It may change grad in place: distributed training averages it across
	// processes here. An error from it undoes the iteration and stops Run with that error.
	// It is not saved in checkpoints.
	GradHook func(iter int, grad []T) error

	data  []T
	nData int
	pcg   *rand.PCG
	rng   *rand.Rand
	opt   optState

	energy      *nn.NetEnergy[T]
	smp         *sampler.Sampler[T]
	state       *sampler.State[T]
	src         sampler.RandSource[T]
	batch, f    []T
	dOut, grad  []T
	undo        undoLog[T]
	centered    bool
	perm, chain []int
	swaps       []int
	absGrad     []float64 // scratch of adaptThreshold
	jump        jumpState[T]
	snap        snapshot[T] // the last recovery snapshot (snapshot.go)
	// stop is Run's stop request while it runs (else nil), checked between Langevin steps.
	stop *atomic.Bool
}

// errStopped is iterate's report of an iteration abandoned (and undone) on a stop request.
var errStopped = errors.New("train: iteration abandoned on a stop request")

// MaxBytes caps the memory a trainer may allocate; New refuses larger ones before allocating.
var MaxBytes int64 = 8 << 30

// EstimateBytes is roughly the memory a trainer of cfg and arch allocates, in element
// size elem (4 or 8): parameters with their gradient and Adam moments, the two undo records
// (parameters and moments again), a parameter gradient per chunk, the replay buffer, the
// chains and the activations of a batch; under EMA, the parameters' average and its two
// undo copies.
func EstimateBytes(cfg Config, arch nn.Arch, elem int64) int64 {
	fp := arch.Footprint()
	d := int64(arch.In)
	m := int64(max(cfg.BatchSize, 1))
	chunk := int64(fp.Chunk)
	chunks := (2*m + chunk - 1) / chunk
	perParam := 4*elem + 48 + elem*chunks
	if cfg.EMA > 0 {
		perParam += 3 * elem
	}
	return fp.Params*perParam + int64(max(cfg.BufferSize, 0))*d*elem + 6*m*d*elem +
		2*m*fp.Acts*elem + chunks*fp.Scratch*elem
}

// CentralBox is the default box of the noise chains start from: [min_j (m_j − s_j),
// max_j (m_j + s_j)] over the coordinates j of the n×d data, m_j and s_j their mean and
// standard deviation. On the toy sets this central box trains better models than the data's
// full range: with the full range, chains restarted from noise land in the empty space
// between and around rings (median MMD² reduction on rings 4.5x for SGLD and 2.8x for AniLA
// against 7.7x and 8.4x with the central box, five seeds each). A box of zero width is
// widened by 1 on each side.
func CentralBox[T nn.Float](data []T, n, d int) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for j := 0; j < d; j++ {
		m, s := 0.0, 0.0
		for i := 0; i < n; i++ {
			m += float64(data[i*d+j])
		}
		m /= float64(n)
		for i := 0; i < n; i++ {
			t := float64(data[i*d+j]) - m
			s += t * t
		}
		s = math.Sqrt(s / float64(n))
		lo, hi = math.Min(lo, m-s), math.Max(hi, m+s)
	}
	if !(lo < hi) {
		lo, hi = lo-1, hi+1
	}
	return lo, hi
}

// New builds the net of arch, draws its parameters from cfg.Seed, and prepares the buffer.
// data (n×arch.In) is copied; it may be nil when the trainer is only used for sampling.
func New[T nn.Float](cfg Config, arch nn.Arch, data []T, n int) (*Trainer[T], error) {
	elem := int64(4)
	if nn.Is64[T]() {
		elem = 8
	}
	if b := EstimateBytes(cfg, arch, elem); b > MaxBytes || b < 0 {
		return nil, fmt.Errorf("the model would need about %.1f GiB (limit %.0f GiB): reduce hidden, buffer_size or batch_size",
			float64(b)/(1<<30), float64(MaxBytes)/(1<<30))
	}
	net, err := nn.Build[T](arch)
	if err != nil {
		return nil, err
	}
	d := net.InSize()
	if data != nil && n > 0 && cfg.NoiseLo >= cfg.NoiseHi {
		cfg.NoiseLo, cfg.NoiseHi = CentralBox(data, n, d)
	}
	if cfg.NoiseLo >= cfg.NoiseHi {
		cfg.NoiseLo, cfg.NoiseHi = -1, 1
	}
	if err := cfg.Validate(d); err != nil {
		return nil, err
	}
	if arch, err = arch.Expanded(); err != nil {
		return nil, err
	}
	t := &Trainer[T]{Config: cfg, Arch: arch, Net: net, Params: make([]T, net.NumParams())}
	t.pcg = rand.NewPCG(cfg.Seed, 0x5851f42d4c957f2d)
	t.rng = rand.New(t.pcg)
	net.Init(t.Params, t.rng)
	t.opt = optState{M: make([]float64, len(t.Params)), V: make([]float64, len(t.Params))}
	if cfg.EMA > 0 {
		t.Average = slices.Clone(t.Params)
	}
	if cfg.Init == InitBuffer {
		t.Buffer = make([]T, cfg.BufferSize*d)
		t.uniform(t.Buffer)
	}
	if data != nil {
		if err := t.SetData(data, n); err != nil {
			return nil, err
		}
	}
	if err := t.prepare(); err != nil {
		return nil, err
	}
	return t, nil
}

// prepare allocates the per-iteration buffers; after it, iterations allocate nothing.
func (t *Trainer[T]) prepare() error {
	d, m := t.Net.InSize(), t.Config.BatchSize
	t.energy = nn.NewNetEnergy(t.Net, t.Params)
	smp, err := sampler.New[T](t.Config.Sampler, t.energy)
	if err != nil {
		return err
	}
	t.smp = smp
	t.state = sampler.NewState[T](m, d)
	t.src = sampler.RandSource[T]{Rand: t.rng}
	t.batch = make([]T, 2*m*d)
	t.f = make([]T, 2*m)
	t.dOut = make([]T, 2*m)
	t.grad = make([]T, len(t.Params))
	t.undo = newUndoLog[T](len(t.Params), m, d, t.Average != nil)
	t.chain = make([]int, m)
	t.swaps = make([]int, m)
	if t.Config.ThresholdQuantile > 0 {
		t.absGrad = make([]float64, 0, m*d)
	}
	t.jump = jumpState[T]{prop: make([]T, m*d), f: make([]T, m), which: make([]int, 0, m), accept: math.NaN(),
		sub: make([]float64, 0, jumpSubset*d), inv: make([]float64, d), logQ: make([]float64, 2*m)}
	t.jump.logQAt = t.jumpLogQ
	if t.Buffer != nil {
		t.perm = make([]int, max(len(t.Buffer)/d, t.nData))
	} else {
		t.perm = make([]int, t.nData)
	}
	for i := range t.perm {
		t.perm[i] = i
	}
	return nil
}

// Dim is the data dimension.
func (t *Trainer[T]) Dim() int { return t.Net.InSize() }

// SetData replaces the training data with a copy of data (n×Dim).
func (t *Trainer[T]) SetData(data []T, n int) error {
	d := t.Dim()
	if n < 1 {
		return fmt.Errorf("X must hold at least one point, got %d", n)
	}
	if len(data) < n*d {
		return fmt.Errorf("X holds %d values, want %d×%d", len(data), n, d)
	}
	for i, v := range data[:n*d] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("X holds a non-finite value %v at row %d, column %d", v, i/d, i%d)
		}
	}
	t.data = append(t.data[:0], data[:n*d]...)
	t.nData = n
	t.jump.sub = t.jump.sub[:0] // the jump's data subset follows the data
	if t.Config.DataInit && t.Iter == 0 && !t.centered {
		t.Net.CenterFirstLayer(t.Params, t.data, t.nData, t.rng)
		t.centered = true
		copy(t.Average, t.Params)
	}
	if t.perm != nil && len(t.perm) < n {
		t.perm = make([]int, n)
		for i := range t.perm {
			t.perm[i] = i
		}
	}
	return nil
}

// HasData reports whether training data is present.
func (t *Trainer[T]) HasData() bool { return t.nData > 0 }

func (t *Trainer[T]) uniform(dst []T) {
	lo, w := t.Config.NoiseLo, t.Config.NoiseHi-t.Config.NoiseLo
	for i := range dst {
		dst[i] = T(lo + w*t.rng.Float64())
	}
}

// pick chooses m distinct indices from [0, n) into out (with replacement when n < m) by a
// partial Fisher–Yates shuffle of t.perm, which it then restores to the identity.
func (t *Trainer[T]) pick(n int, out []int) {
	m := len(out)
	if n < m {
		for i := range out {
			out[i] = t.rng.IntN(n)
		}
		return
	}
	p := t.perm[:n]
	for i := 0; i < m; i++ {
		j := i + t.rng.IntN(n-i)
		t.swaps[i] = j
		p[i], p[j] = p[j], p[i]
		out[i] = p[i]
	}
	for i := m - 1; i >= 0; i-- {
		j := t.swaps[i]
		p[i], p[j] = p[j], p[i]
	}
}

// SnapshotEvery is how often (in iterations) Run keeps a snapshot to recover from.
const SnapshotEvery = 100

// Run trains for up to iters iterations and returns how many it did. It checks stop between
// iterations and between the Langevin steps of one (an atomic load per step): a stop
// request during the steps abandons that iteration and undoes it whole (undo.go), so the
// trainer is left exactly as after the last complete iteration, and continuing later gives
// the same run as if it had not stopped. A stop is not an error. On divergence it rolls back to the last snapshot and halves the learning rate, up
// to Config.Recover times (recorded in Recoveries); after that it returns a
// *DivergenceError and leaves the parameters as they were before the failed update.
func (t *Trainer[T]) Run(iters int, stop *atomic.Bool) (int, error) {
	if t.nData == 0 {
		return 0, fmt.Errorf("the trainer has no data: fit it on data first")
	}
	target := t.Iter + iters
	t.stop = stop
	defer func() { t.stop = nil }()
	t.snap.valid = false
	t.maybeSnapshot()
	start := t.Iter
	for t.Iter < target {
		if stop != nil && stop.Load() {
			break
		}
		err := t.iterate()
		if err == errStopped {
			break
		}
		if err == nil {
			if (t.Iter-start)%SnapshotEvery == 0 {
				t.maybeSnapshot()
			}
			continue
		}
		var de *DivergenceError
		if !errors.As(err, &de) || !t.snap.valid || len(t.Recoveries) >= t.Config.Recover {
			return t.Iter - start, err
		}
		t.restoreSnapshot()
		t.Config.LR /= 2
		t.Recoveries = append(t.Recoveries, de.Iter)
		t.maybeSnapshot()
	}
	return t.Iter - start, nil
}

// maybeSnapshot takes a recovery snapshot while recoveries (Config.Recover) remain.
func (t *Trainer[T]) maybeSnapshot() {
	if t.Config.Recover-len(t.Recoveries) > 0 {
		t.takeSnapshot()
	}
}

// iterate runs one training iteration as its stages, in order: chain starts, the K Langevin
// steps (with the replay buffer's write-back), the data batch, the loss gradient, the
// gradient hook, the optimizer step and the record in History. A divergence or a hook's
// error undoes the iteration (see undo.go).
func (t *Trainer[T]) iterate() error {
	start := time.Now()
	t.beginIteration()
	t.Net.PowerStep(t.Params) // spectral normalisations: one power iteration per iteration
	t.startChains()
	info, done := t.chains(t.src)
	if !done {
		t.abandon()
		return errStopped
	}
	t.adaptThreshold()
	t.jumpMove()
	t.writeBack()
	t.drawBatch()
	return t.finish(info, start)
}

// startChains puts the iteration's chain starts into t.state.X: uniform noise on the noise
// box, data points, or replay-buffer rows (each reinitialised from noise with probability
// Reinit).
func (t *Trainer[T]) startChains() {
	c := &t.Config
	d, m := t.Dim(), c.BatchSize
	x := t.state.X[:m*d]
	switch c.Init {
	case InitNoise:
		t.uniform(x)
	case InitData:
		t.pick(t.nData, t.chain)
		for k, j := range t.chain {
			copy(x[k*d:(k+1)*d], t.data[j*d:(j+1)*d])
		}
	case InitBuffer:
		t.pick(len(t.Buffer)/d, t.chain)
		for k, j := range t.chain {
			if t.rng.Float64() < c.Reinit {
				t.uniform(x[k*d : (k+1)*d])
			} else {
				copy(x[k*d:(k+1)*d], t.Buffer[j*d:(j+1)*d])
			}
		}
	}
}

// writeBack stores the final samples in the replay-buffer rows they started from.
func (t *Trainer[T]) writeBack() {
	if t.Config.Init != InitBuffer {
		return
	}
	d := t.Dim()
	for k, j := range t.chain {
		t.writeBufferRow(j, t.state.X[k*d:(k+1)*d])
	}
}

// drawBatch puts BatchSize data points, with DataNoise added, into t.batch.
func (t *Trainer[T]) drawBatch() {
	c := &t.Config
	d := t.Dim()
	idx := t.chain
	t.pick(t.nData, idx)
	for k, j := range idx {
		row := t.batch[k*d : (k+1)*d]
		copy(row, t.data[j*d:(j+1)*d])
		if c.DataNoise > 0 {
			for i := range row {
				row[i] += T(c.DataNoise * t.rng.NormFloat64())
			}
		}
	}
}

// chains runs the K Langevin steps of an iteration from the starts in t.state.X. It checks
// Run's stop request before every step and returns done = false, with the steps unfinished,
// when it is set.
func (t *Trainer[T]) chains(src sampler.Source[T]) (info sampler.Info, done bool) {
	t.smp.Init(t.state)
	for k := 0; k < t.Config.Steps; k++ {
		if t.stop != nil && t.stop.Load() {
			return info, false
		}
		info.Add(t.smp.Step(src, t.state))
	}
	info.Scale(1 / float64(t.Config.Steps))
	return info, true
}

// StepWith runs one training iteration with all its randomness given, for cross-checks
// against other implementations: the data batch (BatchSize×Dim, used as is: no noise is
// added), the chain starts z0 (BatchSize×Dim) and the Langevin noise from src. It neither
// reads nor writes the replay buffer or the trainer's random stream. The final samples are
// copied into zOut when it is not nil.
func (t *Trainer[T]) StepWith(batch, z0 []T, src sampler.Source[T], zOut []T) error {
	d, m := t.Dim(), t.Config.BatchSize
	if len(batch) != m*d || len(z0) != m*d || (zOut != nil && len(zOut) != m*d) {
		return fmt.Errorf("batch, z0 and samples must hold batch_size×dim = %d×%d values, got %d, %d and %d",
			m, d, len(batch), len(z0), len(zOut))
	}
	start := time.Now()
	t.beginIteration()
	copy(t.state.X, z0)
	info, _ := t.chains(src) // Run's stop request is nil here: the steps always finish
	copy(t.batch[:m*d], batch)
	if zOut != nil {
		copy(zOut, t.state.X[:m*d])
	}
	return t.finish(info, start)
}

// diverged undoes the running iteration and the one before it, whose update gave the
// parameters that produced the non-finite values just seen: parameters, optimizer moments,
// replay buffer, random stream, iteration count and history go back to what they were after
// the last iteration whose parameters gave finite energies. It reports the divergence.
func (t *Trainer[T]) diverged(what string) error {
	err := &DivergenceError{Iter: t.Iter + 1, What: what}
	t.rewind(true)
	return err
}

// lossStats are the energies' means of one iteration, for its record.
type lossStats struct{ fData, fSample, gradNorm float64 }

// finish runs the stages after sampling: the loss gradient, the gradient hook, the optimizer
// step and the record. The data batch is in t.batch[:M×Dim], the samples in t.state.X.
//
// With a gradient hook, a local divergence (a non-finite energy or gradient) still calls the
// hook, with a gradient of NaNs, and is reported after it: processes that average gradients
// in the hook then all see a non-finite gradient and diverge at the same iteration, instead
// of one of them leaving the others waiting in a collective.
func (t *Trainer[T]) finish(info sampler.Info, start time.Time) error {
	st, what := t.lossGradient()
	if t.GradHook != nil {
		if what != "" {
			nan := T(math.NaN())
			for i := range t.grad {
				t.grad[i] = nan
			}
		}
		if err := t.GradHook(t.Iter+1, t.grad); err != nil {
			t.rewind(false)
			return fmt.Errorf("iteration %d: gradient hook: %w", t.Iter+1, err)
		}
		st.gradNorm = norm(t.grad) // the gradient the optimizer gets
		if what == "" && !isFinite(st.gradNorm) {
			what = "non-finite parameter gradient after the gradient hook (in data-parallel training: another process diverged)"
		}
	}
	if what != "" {
		return t.diverged(what)
	}
	if err := t.step(st.gradNorm); err != nil {
		return err
	}
	t.record(st, info, start)
	return nil
}

// lossGradient evaluates f on the data batch and the samples and writes into t.grad the
// gradient with respect to the parameters of the loss
// L = −mean f(x) + mean f(z) + α(mean f(x)² + mean f(z)²), which the optimizer descends.
// A non-finite energy or gradient is a divergence, which it describes in what (t.grad is
// then not the gradient); the caller reports it.
func (t *Trainer[T]) lossGradient() (st lossStats, what string) {
	c := &t.Config
	d, m := t.Dim(), c.BatchSize
	copy(t.batch[m*d:], t.state.X[:m*d])
	t.energy.Forward(t.batch, 2*m, t.f)
	inv := 1 / float64(m)
	for k := 0; k < 2*m; k++ {
		fk := float64(t.f[k])
		if !isFinite(fk) {
			return st, fmt.Sprintf("non-finite energy %v", fk)
		}
		sign := -1.0
		if k >= m {
			sign = 1
			st.fSample += fk
		} else {
			st.fData += fk
		}
		t.dOut[k] = T((sign + 2*c.L2*fk) * inv)
	}
	st.fData *= inv
	st.fSample *= inv
	clear(t.grad)
	t.energy.BackwardParams(t.dOut, t.grad)
	st.gradNorm = norm(t.grad)
	if !isFinite(st.gradNorm) {
		return st, "non-finite parameter gradient"
	}
	return st, ""
}

// norm is the Euclidean norm of g, accumulated in float64.
func norm[T nn.Float](g []T) float64 {
	ss := 0.0
	for _, v := range g {
		ss += float64(v) * float64(v)
	}
	return math.Sqrt(ss)
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// step clips t.grad, whose norm is gradNorm (GradClip, as torch.nn.utils.clip_grad_norm_:
// scale by max_norm/(norm + 1e-6) when that is < 1) and applies the optimizer; a non-finite
// parameter after it is a divergence, and the iteration is undone.
func (t *Trainer[T]) step(gradNorm float64) error {
	c := &t.Config
	if c.GradClip > 0 {
		if coef := c.GradClip / (gradNorm + 1e-6); coef < 1 {
			s := T(coef)
			for i := range t.grad {
				t.grad[i] *= s
			}
		}
	}
	update(c, &t.opt, c.LearningRate(t.Iter), t.Params, t.grad)
	for _, v := range t.Params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.rewind(false) // back to the start of this iteration: the last finite parameters
			return &DivergenceError{Iter: t.Iter + 1, What: "the update made a parameter non-finite"}
		}
	}
	t.updateAverage()
	return nil
}

// record counts the iteration and appends its statistics to History.
func (t *Trainer[T]) record(st lossStats, info sampler.Info, start time.Time) {
	t.Iter++
	h := &t.History
	h.FData = append(h.FData, st.fData)
	h.FSample = append(h.FSample, st.fSample)
	h.Gap = append(h.Gap, st.fData-st.fSample)
	h.GradNorm = append(h.GradNorm, st.gradNorm)
	h.GammaMean = append(h.GammaMean, info.GammaMean)
	h.GammaMin = append(h.GammaMin, info.GammaMin)
	h.GammaMax = append(h.GammaMax, info.GammaMax)
	h.Clipped = append(h.Clipped, info.Clipped)
	h.SampleGradNorm = append(h.SampleGradNorm, info.GradNorm)
	h.Accept = append(h.Accept, info.Accept)
	h.JumpAccept = append(h.JumpAccept, t.jump.accept)
	h.Seconds = append(h.Seconds, time.Since(start).Seconds())
}

// Data returns the trainer's copy of the data (n×Dim) and n; do not modify it.
func (t *Trainer[T]) Data() ([]T, int) { return t.data, t.nData }
