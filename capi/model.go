package capi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/run"
	"github.com/anila-ebm/anila/anila/sampler"
	"github.com/anila-ebm/anila/anila/train"
)

// evaluator is an object whose energy Python can evaluate: a model or an analytic energy.
type evaluator interface {
	object
	dim() int
	dtype() string
	// acquire takes the object's lock for a call that reads (write false) or changes it,
	// and returns its release; it refuses calls that cannot be served (see modelT.acquire).
	acquire(write bool) (release func(), err error)
	// energyGrad evaluates f (and ∇f when g is not nil) at n points; x, f and g point to
	// arrays of the object's dtype.
	energyGrad(x, f, g unsafe.Pointer, n int) error
	// newChains makes a sampling session on this energy.
	newChains(plan run.Sampling, n int, seed uint64) (chains, error)
}

// model is a trainable energy model of either dtype.
type model interface {
	evaluator
	setData(x unsafe.Pointer, n int) error
	train(iters int) (int, error)
	numParams() int
	params(dst unsafe.Pointer, n int, mode paramsMode) error
	// history reads (set false) or writes entries [start, start+len(v)) of a history field.
	history(field, start int, v []float64, set bool) error
	historyLen() int
	save(path string) error
	meta() ([]byte, error)
	stop() *atomic.Bool
	// paramGrad writes Σ_i w_i ∇θ f(x_i) into dst (numParams).
	paramGrad(x, w, dst unsafe.Pointer, n int) error
	// trainStep runs one iteration with given data batch, chain starts and noise.
	trainStep(batch, z0, normals unsafe.Pointer, nNormals int, uniforms unsafe.Pointer, nUniforms int, zOut unsafe.Pointer) error
	// spectral gets (set false) or sets the spectral normalisations' u and v vectors.
	spectral(v []float64, set bool) ([]float64, error)
	// setGradHook installs a C gradient hook (0 removes it); see SetGradHook.
	setGradHook(fn uintptr)
	// samplerConfig is the training sampler's configuration.
	samplerConfig() sampler.Config
	// fingerprint is the SHA-256 of the model's data (DataSHA256).
	fingerprint() (string, error)
	// plan is the run's plan (nil for a model made without one).
	plan() *train.Plan
}

type modelT[T nn.Float] struct {
	mu      sync.Mutex
	tr      *train.Trainer[T]
	eval    *nn.NetEnergy[T]
	stopReq atomic.Bool
	// hookTid is the OS thread running the model's gradient hook (0: none running): calls
	// from that thread (the hook reading its own model) go ahead without the lock, which
	// the paused training call holds.
	hookTid atomic.Int64
}

// errInHook refuses a change to a model from inside its own gradient hook.
var errInHook = fmt.Errorf("this call changes the model or uses its buffers, which its gradient hook cannot do: " +
	"the hook runs in the middle of a training iteration (read the model there: iteration, parameters(), history)")

// acquire takes the model's lock. Called from the thread that runs the model's gradient
// hook (the hook calling its own model, while the training call holds the lock and waits
// for the hook), reads go ahead without the lock, the training being paused, and changes
// are refused with errInHook: a hook never deadlocks on its model.
func (m *modelT[T]) acquire(write bool) (func(), error) {
	if tid := m.hookTid.Load(); tid != 0 && tid == int64(syscall.Gettid()) {
		if write {
			return nil, errInHook
		}
		return func() {}, nil
	}
	m.mu.Lock()
	return m.mu.Unlock, nil
}

func newModelT[T nn.Float](tr *train.Trainer[T]) *modelT[T] {
	return &modelT[T]{tr: tr, eval: nn.NewNetEnergy(tr.Net, tr.ModelParams())}
}

func slice[T any](p unsafe.Pointer, n int) []T {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*T)(p), n)
}

func (m *modelT[T]) close()             {}
func (m *modelT[T]) dim() int           { return m.tr.Dim() }
func (m *modelT[T]) stop() *atomic.Bool { return &m.stopReq }
func (m *modelT[T]) dtype() string {
	if nn.Is64[T]() {
		return "float64"
	}
	return "float32"
}
func (m *modelT[T]) numParams() int                { return len(m.tr.Params) }
func (m *modelT[T]) samplerConfig() sampler.Config { return m.tr.Config.Sampler }
func (m *modelT[T]) plan() *train.Plan             { return m.tr.Plan }
func (m *modelT[T]) historyLen() int               { return m.tr.History.Len() }

func (m *modelT[T]) energyGrad(x, f, g unsafe.Pointer, n int) error {
	d := m.dim()
	xs, fs := slice[T](x, n*d), slice[T](f, n)
	if g != nil {
		m.eval.EnergyGrad(xs, n, fs, slice[T](g, n*d))
		return nil
	}
	m.eval.Forward(xs, n, fs)
	return nil
}

func (m *modelT[T]) setData(x unsafe.Pointer, n int) error {
	return m.tr.SetData(slice[T](x, n*m.dim()), n)
}

func (m *modelT[T]) train(iters int) (int, error) {
	return m.tr.Run(iters, &m.stopReq)
}

// paramsMode says what anila_params reads or writes.
type paramsMode int

const (
	getModelParams    paramsMode = iota // copy out the parameters the energy uses (the average under ema)
	setModelParams                      // replace both the training parameters and their average
	getTrainingParams                   // copy out the parameters training updates
	setTrainingParams                   // replace the training parameters only
)

func (m *modelT[T]) params(dst unsafe.Pointer, n int, mode paramsMode) error {
	if n != len(m.tr.Params) {
		return fmt.Errorf("parameter vector has %d values, the model has %d", n, len(m.tr.Params))
	}
	s := slice[T](dst, n)
	switch mode {
	case getModelParams:
		copy(s, m.tr.ModelParams())
	case setModelParams:
		copy(m.tr.Params, s)
		copy(m.tr.Average, s)
	case getTrainingParams:
		copy(s, m.tr.Params)
	case setTrainingParams:
		copy(m.tr.Params, s)
	}
	return nil
}

func (m *modelT[T]) history(field, start int, v []float64, set bool) error {
	cols := m.tr.History.Columns()
	if field < 0 || field >= len(cols) {
		return fmt.Errorf("history field %d out of range", field)
	}
	col := (*cols[field])[start : start+len(v)]
	if set {
		copy(col, v)
	} else {
		copy(v, col)
	}
	return nil
}

func (m *modelT[T]) save(path string) error { return m.tr.Save(path) }

func (m *modelT[T]) paramGrad(x, w, dst unsafe.Pointer, n int) error {
	d := m.dim()
	f := make([]T, n)
	m.eval.Forward(slice[T](x, n*d), n, f)
	out := slice[T](dst, len(m.tr.Params))
	clear(out)
	m.eval.BackwardParams(slice[T](w, n), out)
	return nil
}

func (m *modelT[T]) trainStep(batch, z0, normals unsafe.Pointer, nNormals int, uniforms unsafe.Pointer, nUniforms int, zOut unsafe.Pointer) error {
	c := m.tr.Config
	bs, d := c.BatchSize, m.dim()
	src, err := fixedSource[T](c.Sampler, c.Steps, bs, d, normals, nNormals, uniforms, nUniforms)
	if err != nil {
		return err
	}
	return m.tr.StepWith(slice[T](batch, bs*d), slice[T](z0, bs*d), src, slice[T](zOut, bs*d))
}

type modelMeta struct {
	Dtype     string       `json:"dtype"`
	Arch      nn.Arch      `json:"arch"`
	Config    train.Config `json:"config"`
	Iteration int          `json:"iteration"`
	NumParams int          `json:"num_params"`
	HasData   bool         `json:"has_data"`
	HasBuffer bool         `json:"has_buffer"`
	// Metropolis says whether the training sampler's steps end with a Metropolis test
	// (sampler.Config.Metropolis: their given noise then needs uniforms)
	Metropolis bool     `json:"metropolis"`
	History    []string `json:"history_fields"`
	Recovered  []int    `json:"recoveries"`
	// Last holds the newest history entry, by field name (empty before training).
	Last map[string]*float64 `json:"last"`
	// Params are the model's settings by the run table's names (run.Describe).
	Params map[string]any `json:"params"`
	// Plan is the run's plan (nil for a model made without one).
	Plan *train.Plan `json:"plan"`
}

func (m *modelT[T]) meta() ([]byte, error) {
	return json.Marshal(modelMeta{Dtype: m.dtype(), Arch: m.tr.Arch, Config: m.tr.Config,
		Iteration: m.tr.Iter, NumParams: len(m.tr.Params), HasData: m.tr.HasData(),
		HasBuffer: m.tr.Buffer != nil, Metropolis: m.tr.Config.Sampler.Metropolis(), History: train.HistoryFields, Recovered: m.tr.Recoveries,
		Last: jsonFloats(m.lastHistory()), Params: run.Describe(m.tr.Arch, m.tr.Config, m.dtype(), m.tr.Plan), Plan: m.tr.Plan})
}

func (m *modelT[T]) lastHistory() map[string]float64 {
	n := m.tr.History.Len()
	if n == 0 {
		return nil
	}
	out := make(map[string]float64, len(train.HistoryFields))
	for i, col := range m.tr.History.Columns() {
		out[train.HistoryFields[i]] = (*col)[n-1]
	}
	return out
}

func lookupModel(h int64) (model, error) { return lookupAs[model](h, "a model") }

// NewModel creates an untrained model from a run request (run.Request as JSON: the
// parameters as the user gave them, the shape of one example, the training data's summary
// when there is data, and the rank among data-parallel processes). anila/run resolves it:
// defaults, every bound, the data-derived scales and boxes; a bad parameter is an error
// naming it and its value ("TypeError: " opens the message when its kind is wrong). Its
// parameters are drawn from the seed.
func NewModel(request string) (h int64, err error) {
	defer guard(&err)
	req, err := run.ParseRequest(request)
	if err != nil {
		return 0, err
	}
	r, err := run.Resolve(req)
	if err != nil {
		return 0, pyErr(err)
	}
	switch r.Dtype {
	case "float32":
		tr, err := train.New[float32](r.Config, r.Arch, nil, 0)
		if err != nil {
			return 0, err
		}
		tr.Plan = &r.Plan
		return register(newModelT(tr)), nil
	case "float64":
		tr, err := train.New[float64](r.Config, r.Arch, nil, 0)
		if err != nil {
			return 0, err
		}
		tr.Plan = &r.Plan
		return register(newModelT(tr)), nil
	}
	return 0, fmt.Errorf("dtype must be 'float32' or 'float64', got %q", r.Dtype)
}

// pyErr marks a parameter error of the wrong kind with "TypeError: ", which the Python
// package raises as TypeError.
func pyErr(err error) error {
	var e *run.Error
	if errors.As(err, &e) && e.Type {
		return fmt.Errorf("TypeError: %s", e.Msg)
	}
	return err
}

// Train runs up to iters training iterations on the model's data and returns how many ran
// (fewer when Stop was called). A divergence error names the iteration.
func Train(h int64, iters int) (done int, err error) {
	defer guard(&err)
	m, err := lookupModel(h)
	if err != nil {
		return 0, err
	}
	if iters < 0 {
		return 0, fmt.Errorf("iterations must be >= 0, got %d", iters)
	}
	release, err := m.acquire(true)
	if err != nil {
		return 0, err
	}
	defer release()
	m.stop().Store(false)
	err = offThread(func() error {
		var e error
		done, e = m.train(iters)
		return e
	})
	return done, err
}

// stopper is an object whose long calls Stop can interrupt: a model's Train, chains' StepChains.
type stopper interface{ stop() *atomic.Bool }

// Stop asks a running Train on model h to return within a Langevin step, the unfinished
// iteration undone (the model is left as after its last whole iteration), or a running
// StepChains on chains h to return after its current step. Python calls it on Ctrl-C.
func Stop(h int64) (err error) {
	defer guard(&err)
	s, err := lookupAs[stopper](h, "a model or a set of chains")
	if err != nil {
		return err
	}
	s.stop().Store(true)
	return nil
}

// ModelMeta describes model h as JSON: dtype, architecture, configuration, iteration.
func ModelMeta(h int64) (s string, err error) {
	defer guard(&err)
	var b []byte
	err = withModelLock(h, false, func(m model) (e error) {
		b, e = m.meta()
		return e
	})
	return string(b), err
}

// Save writes model h to path atomically, with a format version and a checksum.
func Save(h int64, path string) (err error) {
	defer guard(&err)
	return withModelLock(h, false, func(m model) error { return m.save(path) })
}

// Load reads a model saved by Save and returns its handle.
func Load(path string) (h int64, err error) {
	defer guard(&err)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	dt, err := train.PeekDtype(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	switch dt {
	case "float32":
		tr, err := train.Unmarshal[float32](b)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		return register(newModelT(tr)), nil
	case "float64":
		tr, err := train.Unmarshal[float64](b)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		return register(newModelT(tr)), nil
	}
	return 0, fmt.Errorf("%s: unknown dtype %q", path, dt)
}

// SpectralState returns the spectral normalisations' vectors of model h (each layer's u then
// v, in layer order); empty when the model has none.
func SpectralState(h int64) (v []float64, err error) {
	defer guard(&err)
	err = withModelLock(h, false, func(m model) (e error) {
		v, e = m.spectral(nil, false)
		return e
	})
	return v, err
}

// SetSpectralState sets the vectors SpectralState gives.
func SetSpectralState(h int64, v []float64) (err error) {
	defer guard(&err)
	return withModelLock(h, true, func(m model) error {
		_, e := m.spectral(v, true)
		return e
	})
}

// withModelLock runs fn on model h while holding its lock for reading (write false) or
// changing it (model.acquire).
func withModelLock(h int64, write bool, fn func(m model) error) error {
	m, err := lookupModel(h)
	if err != nil {
		return err
	}
	release, err := m.acquire(write)
	if err != nil {
		return err
	}
	defer release()
	return fn(m)
}

func (m *modelT[T]) spectral(v []float64, set bool) ([]float64, error) {
	if set {
		return nil, m.tr.Net.SetSpectralState(v)
	}
	out := m.tr.Net.SpectralState()
	if out == nil {
		out = []float64{}
	}
	return out, nil
}

// fingerprint is the SHA-256 of the model's data as the Python package has always taken it:
// the text "(n, d)" and NumPy's dtype string ("<f4" or "<f8"), then the values' bytes.
func (m *modelT[T]) fingerprint() (string, error) {
	x, n := m.tr.Data()
	if n == 0 {
		return "", fmt.Errorf("the model has no data")
	}
	elem := "<f4"
	if nn.Is64[T]() {
		elem = "<f8"
	}
	h := sha256.New()
	fmt.Fprintf(h, "(%d, %d)%s", n, m.dim(), elem)
	h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x)*int(unsafe.Sizeof(x[0]))))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DataSHA256 is the fingerprint of model h's data (its shape, dtype and values), which a
// checkpointed run records (RecordCheckpoints) so that resuming can check it.
func DataSHA256(h int64) (s string, err error) {
	defer guard(&err)
	err = withModelLock(h, false, func(m model) (e error) {
		s, e = m.fingerprint()
		return e
	})
	return s, err
}

// RecordCheckpoints records in model h's plan that its run writes a checkpoint every
// `every` iterations, and the fingerprint of the data it trains on (set it first).
func RecordCheckpoints(h int64, every int) (err error) {
	defer guard(&err)
	if every < 1 {
		return fmt.Errorf("checkpoint_every must be >= 1, got %d", every)
	}
	return withModelLock(h, true, func(m model) error {
		sha, err := m.fingerprint()
		if err != nil {
			return err
		}
		p := m.plan()
		if p == nil {
			return fmt.Errorf("the model has no run plan (it was not made by a run)")
		}
		p.CheckpointEvery, p.DataSHA256 = every, sha
		return nil
	})
}
