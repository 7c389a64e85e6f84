package capi

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/run"
	"github.com/anila-ebm/anila/anila/sampler"
)

// chains is a sampling session: n Langevin chains on an energy, with their own random stream,
// so that running them in several calls gives the same bits as one call.
type chains interface {
	object
	dim() int
	count() int
	positions(p unsafe.Pointer, n int, set bool) error
	initFrom(how string, lo, hi float64) error
	step(steps int) error
	// stepFixed takes steps with the given noise: normals (steps×n×dim) and, for adjusted
	// samplers, uniforms (steps×n), pointing to arrays of the chains' dtype.
	stepFixed(steps int, normals unsafe.Pointer, nNormals int, uniforms unsafe.Pointer, nUniforms int) error
	info() sampler.Info
	stop() *atomic.Bool
	config() sampler.Config
}

type chainsT[T nn.Float] struct {
	// acquire takes the target's lock (evaluator.acquire)
	acquire func(write bool) (func(), error)
	// stopReq asks a running step call to return after its current step (Stop)
	stopReq atomic.Bool
	smp     *sampler.Sampler[T]
	st      *sampler.State[T]
	src     sampler.RandSource[T]
	pools   func(how string) ([]T, int, error)
	ready   bool
	infoSum sampler.Info
	steps   int
	// failed, when set, reports an error of the energy after a step (a caller's energy
	// function that raised); the chains stop at that step.
	failed func() error
}

func newChainsT[T nn.Float](acquire func(bool) (func(), error), e sampler.Energy[T], cfg sampler.Config, n int, seed uint64,
	pools func(string) ([]T, int, error)) (*chainsT[T], error) {
	if n < 1 {
		return nil, fmt.Errorf("n must be >= 1, got %d", n)
	}
	if n > 1<<24 {
		return nil, fmt.Errorf("n must be <= %d, got %d", 1<<24, n)
	}
	smp, err := sampler.New(cfg, e)
	if err != nil {
		return nil, err
	}
	return &chainsT[T]{acquire: acquire, smp: smp, st: sampler.NewState[T](n, e.Dim()), src: sampler.NewRandSource[T](seed), pools: pools}, nil
}

func (c *chainsT[T]) close()                 {}
func (c *chainsT[T]) stop() *atomic.Bool     { return &c.stopReq }
func (c *chainsT[T]) config() sampler.Config { return c.smp.Config }
func (c *chainsT[T]) dim() int               { return c.smp.Energy.Dim() }
func (c *chainsT[T]) count() int             { return c.st.N }

func (c *chainsT[T]) positions(p unsafe.Pointer, n int, set bool) error {
	if n != len(c.st.X) {
		return fmt.Errorf("positions have %d values, the chains hold %d", n, len(c.st.X))
	}
	s := slice[T](p, n)
	if set {
		copy(c.st.X, s)
		c.ready = false
	} else {
		copy(s, c.st.X)
	}
	return nil
}

func (c *chainsT[T]) initFrom(how string, lo, hi float64) error {
	d := c.dim()
	x := c.st.X
	r := c.src.Rand
	switch how {
	case "noise":
		if !(lo < hi) {
			return fmt.Errorf("noise box must have lo < hi, got (%v, %v)", lo, hi)
		}
		for i := range x {
			x[i] = T(lo + (hi-lo)*r.Float64())
		}
	case "normal":
		for i := range x {
			x[i] = T(r.NormFloat64())
		}
	case "buffer", "data":
		// The buffer and the data belong to the model, which a training call on another
		// thread may be changing: read them under the model's lock.
		release, err := c.acquire(false)
		if err != nil {
			return err
		}
		defer release()
		src, rows, err := c.pools(how)
		if err != nil {
			return err
		}
		if rows == 0 {
			return fmt.Errorf("init=%q: the model has no %s", how, how)
		}
		for k := 0; k < c.st.N; k++ {
			j := r.IntN(rows)
			copy(x[k*d:(k+1)*d], src[j*d:(j+1)*d])
		}
	default:
		return fmt.Errorf("init must be \"noise\", \"normal\", \"buffer\" or \"data\", got %q", how)
	}
	c.ready = false
	return nil
}

func (c *chainsT[T]) step(steps int) error {
	return c.advance(c.src, steps)
}

// advance takes steps with noise from src, holding the target's lock, and stops at the
// first step whose energy evaluation failed, or after the step during which Stop was
// called (the steps taken stand; the caller sees fewer steps done only through Stop).
func (c *chainsT[T]) advance(src sampler.Source[T], steps int) error {
	release, err := c.acquire(true)
	if err != nil {
		return err
	}
	defer release()
	if !c.ready {
		c.smp.Init(c.st)
		if err := c.check(); err != nil {
			return err
		}
		c.ready = true
	}
	for k := 0; k < steps; k++ {
		if c.stopReq.Load() {
			return nil
		}
		info := c.smp.Step(src, c.st)
		if err := c.check(); err != nil {
			return err
		}
		c.infoSum.Add(info)
		c.steps++
	}
	return nil
}

func (c *chainsT[T]) check() error {
	if c.failed == nil {
		return nil
	}
	return c.failed()
}

func (c *chainsT[T]) stepFixed(steps int, normals unsafe.Pointer, nNormals int, uniforms unsafe.Pointer, nUniforms int) error {
	src, err := fixedSource[T](c.smp.Config, steps, c.st.N, c.dim(), normals, nNormals, uniforms, nUniforms)
	if err != nil {
		return err
	}
	return c.advance(src, steps)
}

// fixedSource wraps caller-given noise (not copied: valid for the call only) after checking
// that it holds exactly what steps of n chains in dimension d draw.
func fixedSource[T nn.Float](cfg sampler.Config, steps, n, d int, normals unsafe.Pointer, nNormals int, uniforms unsafe.Pointer, nUniforms int) (*sampler.FixedSource[T], error) {
	if steps < 0 {
		return nil, fmt.Errorf("steps must be >= 0, got %d", steps)
	}
	if nNormals != steps*n*d {
		return nil, fmt.Errorf("noise must hold steps×n×dim = %d×%d×%d values, got %d", steps, n, d, nNormals)
	}
	wantU := 0
	if cfg.Adjusted {
		wantU = steps * n
	}
	if nUniforms != wantU {
		if cfg.Adjusted {
			return nil, fmt.Errorf("uniforms must hold steps×n = %d×%d values for an adjusted sampler, got %d", steps, n, nUniforms)
		}
		return nil, fmt.Errorf("uniforms are only used by adjusted samplers; got %d values", nUniforms)
	}
	return &sampler.FixedSource[T]{Normals: slice[T](normals, nNormals), Uniforms: slice[T](uniforms, nUniforms)}, nil
}

func (c *chainsT[T]) info() sampler.Info {
	i := c.infoSum
	if c.steps > 0 {
		i.Scale(1 / float64(c.steps))
	}
	return i
}

func (m *modelT[T]) newChains(cfg sampler.Config, n int, seed uint64) (chains, error) {
	e := nn.NewNetEnergy(m.tr.Net, m.tr.ModelParams())
	return newChainsT[T](m.acquire, e, cfg, n, seed, func(how string) ([]T, int, error) {
		if how == "buffer" {
			if m.tr.Buffer == nil {
				return nil, 0, fmt.Errorf("init=\"buffer\": the model was not trained with a replay buffer")
			}
			return m.tr.Buffer, len(m.tr.Buffer) / m.dim(), nil
		}
		x, n := m.tr.Data()
		return x, n, nil
	})
}

func lookupChains(h int64) (chains, error) { return lookupAs[chains](h, "a set of chains") }

// NewChains starts n chains on the energy of handle target (a model or an analytic energy),
// seeded with seed, sampled with target's sampler (a model's training sampler, or the run
// table's default sampler for an analytic energy) with the sampler parameters of settings
// (JSON by the table's names, null meaning "as the target's"; run.ResolveSampler checks
// them). Their positions are set by InitChains or by the data plane before the first step.
func NewChains(target int64, settings string, n int, seed int64) (h int64, err error) {
	defer guard(&err)
	ev, err := lookupEvaluator(target)
	if err != nil {
		return 0, err
	}
	given, err := decodeSettings(settings)
	if err != nil {
		return 0, err
	}
	base := run.DefaultSampler()
	if m, ok := ev.(model); ok {
		base = m.samplerConfig()
	}
	cfg, err := run.ResolveSampler(base, given)
	if err != nil {
		return 0, pyErr(err)
	}
	release, err := ev.acquire(false)
	if err != nil {
		return 0, err
	}
	c, err := ev.newChains(cfg, n, uint64(seed))
	release()
	if err != nil {
		return 0, err
	}
	return register(c), nil
}

// decodeSettings reads a JSON object of settings, numbers as json.Number.
func decodeSettings(text string) (map[string]any, error) {
	var given map[string]any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&given); err != nil {
		return nil, fmt.Errorf("sampler settings must be a JSON object: %v", err)
	}
	return given, nil
}

// InitChains sets the positions of chains h: "noise" (uniform on [lo, hi]), "normal",
// "buffer" (rows of the model's replay buffer) or "data" (rows of the model's data).
func InitChains(h int64, how string, lo, hi float64) (err error) {
	defer guard(&err)
	c, err := lookupChains(h)
	if err != nil {
		return err
	}
	return c.initFrom(how, lo, hi)
}

// StepChains moves chains h by the given number of steps.
func StepChains(h int64, steps int) (err error) {
	defer guard(&err)
	c, err := lookupChains(h)
	if err != nil {
		return err
	}
	if steps < 0 {
		return fmt.Errorf("steps must be >= 0, got %d", steps)
	}
	c.stop().Store(false)
	return offThread(func() error { return c.step(steps) })
}

// ChainsInfo describes the steps of chains h so far as JSON (averages of sampler.Info).
func ChainsInfo(h int64) (s string, err error) {
	defer guard(&err)
	c, err := lookupChains(h)
	if err != nil {
		return "", err
	}
	i := c.info()
	b, err := json.Marshal(jsonFloats(map[string]float64{"gamma_mean": i.GammaMean, "gamma_min": i.GammaMin,
		"gamma_max": i.GammaMax, "clipped": i.Clipped, "grad_norm": i.GradNorm, "accept": i.Accept}))
	return string(b), err
}

// ChainsConfig is the sampler configuration of chains h, as JSON (sampler.Config).
func ChainsConfig(h int64) (s string, err error) {
	defer guard(&err)
	c, err := lookupChains(h)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(c.config())
	return string(b), err
}

// jsonFloats maps NaN and ±Inf (which JSON cannot hold; chains that diverged give them) to
// null, which Python reads as None.
func jsonFloats(m map[string]float64) map[string]*float64 {
	out := make(map[string]*float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			v := v
			out[k] = &v
		} else {
			out[k] = nil
		}
	}
	return out
}
