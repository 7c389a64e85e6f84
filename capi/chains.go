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
	info() chainsInfo
	sampling() run.Sampling
	// setMask fixes the coordinates where mask (n×dim bytes, nonzero: fixed) is set
	setMask(mask unsafe.Pointer, n int) error
	// trace takes kept steps, writing the positions after each (steps×n×dim values)
	trace(steps int, p unsafe.Pointer, n int) error
	stop() *atomic.Bool
	config() sampler.Config
}

type chainsT[T nn.Float] struct {
	// acquire takes the target's lock (evaluator.acquire)
	acquire func(write bool) (func(), error)
	// stopReq asks a running step call to return after its current step (Stop)
	stopReq atomic.Bool
	ch      *sampler.Chains[T]
	plan    run.Sampling
	src     sampler.RandSource[T]
	pools   func(how string) ([]T, int, error)
	ready   bool
	// infoSum and steps cover the kept steps (after the warm-up); warmed counts warm-up steps
	infoSum       sampler.Info
	steps, warmed int
	// failed, when set, reports an error of the energy after a step (a caller's energy
	// function that raised); the chains stop at that step.
	failed func() error
}

func newChainsT[T nn.Float](acquire func(bool) (func(), error), e sampler.Energy[T], plan run.Sampling, n int, seed uint64,
	pools func(string) ([]T, int, error)) (*chainsT[T], error) {
	if n < 1 {
		return nil, fmt.Errorf("n must be >= 1, got %d", n)
	}
	if n > 1<<24 {
		return nil, fmt.Errorf("n must be <= %d, got %d", 1<<24, n)
	}
	if r := plan.Tempering.Replicas; r > 1 && n*r > 1<<24 {
		return nil, fmt.Errorf("n × replicas must be <= %d, got %d × %d", 1<<24, n, r)
	}
	ch, err := sampler.NewChains(plan.Sampler, e, n, plan.Tempering)
	if err != nil {
		return nil, err
	}
	if a := plan.Adaptation(); a.Steps > 0 {
		if err := ch.StartWarmup(a); err != nil {
			return nil, err
		}
	}
	return &chainsT[T]{acquire: acquire, ch: ch, plan: plan, src: sampler.NewRandSource[T](seed), pools: pools}, nil
}

func (c *chainsT[T]) close()                 {}
func (c *chainsT[T]) sampling() run.Sampling { return c.plan }
func (c *chainsT[T]) stop() *atomic.Bool     { return &c.stopReq }
func (c *chainsT[T]) config() sampler.Config { return c.ch.Sampler.Config }
func (c *chainsT[T]) dim() int               { return c.ch.Sampler.Energy.Dim() }
func (c *chainsT[T]) count() int             { return c.ch.N }

func (c *chainsT[T]) positions(p unsafe.Pointer, n int, set bool) error {
	x := c.ch.Positions()
	if n != len(x) {
		return fmt.Errorf("positions have %d values, the chains hold %d", n, len(x))
	}
	s := slice[T](p, n)
	if set {
		c.ready = false
		return c.ch.SetPositions(s)
	}
	copy(s, x)
	return nil
}

// setMask fixes the coordinates where mask (n×dim bytes, nonzero: fixed) is set.
func (c *chainsT[T]) setMask(p unsafe.Pointer, n int) error {
	if want := c.count() * c.dim(); n != want {
		return fmt.Errorf("mask has %d values, the chains hold %d", n, want)
	}
	b := slice[uint8](p, n)
	m := make([]bool, n)
	for i, v := range b {
		m[i] = v != 0
	}
	return c.ch.SetMask(m)
}

func (c *chainsT[T]) initFrom(how string, lo, hi float64) error {
	d := c.dim()
	x := make([]T, c.count()*d)
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
		for k := 0; k < c.count(); k++ {
			j := r.IntN(rows)
			copy(x[k*d:(k+1)*d], src[j*d:(j+1)*d])
		}
	default:
		return fmt.Errorf("init must be \"noise\", \"normal\", \"buffer\" or \"data\", got %q", how)
	}
	c.ready = false
	return c.ch.SetPositions(x)
}

func (c *chainsT[T]) step(steps int) error {
	return c.advance(c.src, steps, nil)
}

// trace takes steps kept steps, writing the chains' positions after each into p (steps × n
// × dim values of the chains' dtype); the warm-up must be over. A step call stopped early
// (Stop) leaves the rows after the last step taken as they were.
func (c *chainsT[T]) trace(steps int, p unsafe.Pointer, n int) error {
	if steps < 0 {
		return fmt.Errorf("steps must be >= 0, got %d", steps)
	}
	nd := c.count() * c.dim()
	if n != steps*nd {
		return fmt.Errorf("trace must hold steps×n×dim = %d×%d×%d values, got %d", steps, c.count(), c.dim(), n)
	}
	if c.warmed < c.plan.Warmup {
		return fmt.Errorf("trace: the warm-up has %d steps left", c.plan.Warmup-c.warmed)
	}
	out := slice[T](p, n)
	return c.advance(c.src, steps, func(k int) { copy(out[k*nd:(k+1)*nd], c.ch.Positions()) })
}

// advance takes steps with noise from src, holding the target's lock, and stops at the
// first step whose energy evaluation failed, or after the step during which Stop was
// called (the steps taken stand; the caller sees fewer steps done only through Stop).
// kept, if not nil, is called after each kept (post-warm-up) step with its index.
func (c *chainsT[T]) advance(src sampler.Source[T], steps int, kept func(k int)) error {
	release, err := c.acquire(true)
	if err != nil {
		return err
	}
	defer release()
	if !c.ready {
		c.ch.Init()
		if err := c.check(); err != nil {
			return err
		}
		c.ready = true
	}
	for k := 0; k < steps; k++ {
		if c.stopReq.Load() {
			return nil
		}
		warming := c.warmed < c.plan.Warmup
		info := c.ch.Step(src)
		if err := c.check(); err != nil {
			return err
		}
		if warming {
			c.warmed++
			continue
		}
		c.infoSum.Add(info)
		if kept != nil {
			kept(k)
		}
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
	if c.plan.Tempering.Replicas > 1 || c.plan.Warmup > 0 {
		return fmt.Errorf("noise cannot be given to tempered chains or chains with a warm-up")
	}
	src, err := fixedSource[T](c.config(), steps, c.count(), c.dim(), normals, nNormals, uniforms, nUniforms)
	if err != nil {
		return err
	}
	return c.advance(src, steps, nil)
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
	if cfg.Metropolis() {
		wantU = steps * n
	}
	if nUniforms != wantU {
		if cfg.Metropolis() {
			return nil, fmt.Errorf("uniforms must hold steps×n = %d×%d values for an adjusted sampler, got %d", steps, n, nUniforms)
		}
		return nil, fmt.Errorf("uniforms are only used by adjusted samplers; got %d values", nUniforms)
	}
	return &sampler.FixedSource[T]{Normals: slice[T](normals, nNormals), Uniforms: slice[T](uniforms, nUniforms)}, nil
}

// info describes the kept steps so far: sampler.Info's averages, the step size and HMC's
// inverse mass after the warm-up, and with tempering the ladder and swap rates.
func (c *chainsT[T]) info() chainsInfo {
	i := c.infoSum
	if c.steps > 0 {
		i.Scale(1 / float64(c.steps))
	}
	out := chainsInfo{Info: i, StepSize: c.ch.Sampler.Config.StepSize, Warmup: c.warmed, Steps: c.steps}
	if c.ch.Sampler.Config.Method == sampler.HMC {
		for _, v := range c.ch.Sampler.InvMass() {
			out.InvMass = append(out.InvMass, float64(v))
		}
	}
	if c.plan.Tempering.Replicas > 1 {
		out.Temperatures, out.SwapRates = c.ch.Temperatures(), c.ch.SwapRates()
	}
	return out
}

// chainsInfo is what ChainsInfo reports of a set of chains.
type chainsInfo struct {
	Info                             sampler.Info
	StepSize                         float64
	Warmup, Steps                    int
	InvMass, Temperatures, SwapRates []float64
}

func (m *modelT[T]) newChains(plan run.Sampling, n int, seed uint64) (chains, error) {
	e := nn.NewNetEnergy(m.tr.Net, m.tr.ModelParams())
	return newChainsT[T](m.acquire, e, plan, n, seed, func(how string) ([]T, int, error) {
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
// seeded with seed, for a sampling run described by request, JSON {"params": {...},
// "steps": kept steps, "fixed_noise": bool}: the sampling parameters by the table's names
// (null meaning "as the target's": a model's training sampler, or the run table's default
// sampler for an analytic energy), checked and completed by run.ResolveSampling (the
// warm-up, its adaptation, tempering). ChainsPlan tells the warm-up's length. Their
// positions are set by InitChains or by the data plane before the first step.
func NewChains(target int64, request string, n int, seed int64) (h int64, err error) {
	defer guard(&err)
	ev, err := lookupEvaluator(target)
	if err != nil {
		return 0, err
	}
	var req struct {
		Params     json.RawMessage `json:"params"`
		Steps      int             `json:"steps"`
		FixedNoise bool            `json:"fixed_noise"`
	}
	if err := json.Unmarshal([]byte(request), &req); err != nil {
		return 0, fmt.Errorf("sampling request must be JSON {params, steps, fixed_noise}: %v", err)
	}
	if len(req.Params) == 0 {
		req.Params = json.RawMessage("{}")
	}
	given, err := decodeSettings(string(req.Params))
	if err != nil {
		return 0, err
	}
	base, trained := run.DefaultSampler(), false
	if m, ok := ev.(model); ok {
		base, trained = m.samplerConfig(), true
	}
	plan, err := run.ResolveSampling(base, given, req.Steps, req.FixedNoise, trained)
	if err != nil {
		return 0, pyErr(err)
	}
	release, err := ev.acquire(false)
	if err != nil {
		return 0, err
	}
	c, err := ev.newChains(plan, n, uint64(seed))
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

// ChainsInfo describes the kept steps of chains h so far as JSON: averages of sampler.Info
// (gamma_mean, gamma_min, gamma_max, clipped, grad_norm, accept, accept_prob, grad_evals
// per chain and step), the step size after the warm-up, the warm-up and kept step counts,
// and where they apply HMC's inverse mass and tempering's ladder and swap rates.
func ChainsInfo(h int64) (s string, err error) {
	defer guard(&err)
	c, err := lookupChains(h)
	if err != nil {
		return "", err
	}
	ci := c.info()
	i := ci.Info
	out := map[string]any{}
	for k, v := range jsonFloats(map[string]float64{"gamma_mean": i.GammaMean, "gamma_min": i.GammaMin,
		"gamma_max": i.GammaMax, "clipped": i.Clipped, "grad_norm": i.GradNorm, "accept": i.Accept,
		"accept_prob": i.AcceptProb, "grad_evals": i.GradEvals, "step_size": ci.StepSize}) {
		out[k] = v
	}
	out["warmup"], out["steps"] = ci.Warmup, ci.Steps
	if ci.InvMass != nil {
		out["inv_mass"] = ci.InvMass
	}
	if ci.Temperatures != nil {
		out["temperatures"], out["swap_rates"] = ci.Temperatures, ci.SwapRates
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// ChainsPlan is the sampling run of chains h as decided: JSON {"warmup": steps, "adapt":
// bool, "replicas": R, "metropolis": whether its steps end with a Metropolis test (given
// noise then needs uniforms)}.
func ChainsPlan(h int64) (s string, err error) {
	defer guard(&err)
	c, err := lookupChains(h)
	if err != nil {
		return "", err
	}
	p := c.sampling()
	b, err := json.Marshal(map[string]any{"warmup": p.Warmup, "adapt": p.Adapt, "replicas": p.Tempering.Replicas,
		"metropolis": c.config().Metropolis()})
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
