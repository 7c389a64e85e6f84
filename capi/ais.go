package capi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/anila-ebm/anila/anila/metric"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

// aisRun is an annealed-importance-sampling run on an energy (metric.AISRun), advanced by
// StepAIS in chunks so that Python shows progress and Ctrl-C stops it.
type aisRun struct {
	acquire func(write bool) (func(), error)
	stopReq atomic.Bool
	run     *metric.AISRun
	cfg     metric.AISConfig
	base    metric.DiagGaussian
	reverse bool
	// failed reports an error of a caller's energy function (nil for other energies)
	failed func() error
}

func (a *aisRun) close()             {}
func (a *aisRun) stop() *atomic.Bool { return &a.stopReq }

// aisRequest is NewAIS's request: the run's settings by the Python names, each optional
// (absent: metric.DefaultAIS's), and where the base Gaussian comes from.
type aisRequest struct {
	Distributions *int     `json:"distributions"`
	Chains        *int     `json:"chains"`
	Steps         *int     `json:"steps"`
	Transition    *string  `json:"transition"`
	Leapfrog      *int     `json:"leapfrog"`
	StepSize      *float64 `json:"step_size"`
	TargetAccept  *float64 `json:"target_accept"`
	Temperature   *float64 `json:"temperature"`
	Seed          *int64   `json:"seed"`
	// Base: "points" (a diagonal Gaussian fitted to the points given), "data" (fitted to a
	// model's training data), "noise" (covering a model's noise box: its centre, and half
	// its width as the standard deviation) or "given" (Mean and Std).
	Base      string    `json:"base"`
	GivenMean []float64 `json:"mean"`
	GivenStd  []float64 `json:"std"`
}

// aisConfig completes the request with the defaults and checks each value by name.
func (r aisRequest) config() (metric.AISConfig, error) {
	c := metric.DefaultAIS()
	intIn := func(name string, p *int, lo, hi int, dst *int) error {
		if p == nil {
			return nil
		}
		if *p < lo || *p > hi {
			return fmt.Errorf("%s must be in [%d, %d], got %d", name, lo, hi, *p)
		}
		*dst = *p
		return nil
	}
	floatIn := func(name string, p *float64, dst *float64, ok func(float64) bool, want string) error {
		if p == nil {
			return nil
		}
		if math.IsNaN(*p) || math.IsInf(*p, 0) || !ok(*p) {
			return fmt.Errorf("%s must be %s, got %v", name, want, *p)
		}
		*dst = *p
		return nil
	}
	if r.Transition != nil {
		switch *r.Transition {
		case "hmc":
		case "mala":
			c.Transition = sampler.Config{Method: sampler.SGLD, StepSize: 0.01, Adjusted: true, NoiseScale: 1, Channels: 1}
		default:
			return c, fmt.Errorf("transition must be \"hmc\" or \"mala\", got %q", *r.Transition)
		}
	}
	for _, e := range []error{
		intIn("distributions", r.Distributions, 1, 1_000_000, &c.Distributions),
		intIn("chains", r.Chains, 2, 1<<20, &c.Chains),
		intIn("steps", r.Steps, 1, 10_000, &c.Steps),
		floatIn("step_size", r.StepSize, &c.Transition.StepSize, func(v float64) bool { return v > 0 }, "> 0"),
		floatIn("target_accept", r.TargetAccept, &c.TargetAccept, func(v float64) bool { return v > 0 && v < 1 }, "in (0, 1)"),
		floatIn("temperature", r.Temperature, &c.Temperature, func(v float64) bool { return v > 0 }, "> 0"),
	} {
		if e != nil {
			return c, e
		}
	}
	if r.Leapfrog != nil {
		if c.Transition.Method != sampler.HMC {
			return c, fmt.Errorf("leapfrog is HMC's setting; transition is \"mala\"")
		}
		if err := intIn("leapfrog", r.Leapfrog, 1, 1000, &c.Transition.Leapfrog); err != nil {
			return c, err
		}
	}
	if r.Seed != nil {
		if *r.Seed < 0 {
			return c, fmt.Errorf("seed must be >= 0, got %d", *r.Seed)
		}
		c.Seed = uint64(*r.Seed)
	}
	return c, nil
}

// energy64 evaluates an energy of another float type in float64 (AIS's weights are sums
// over many distributions, kept in float64 whatever the model's dtype).
type energy64[T nn.Float] struct {
	e       sampler.Energy[T]
	x, f, g []T
}

func (a *energy64[T]) Dim() int { return a.e.Dim() }
func (a *energy64[T]) EnergyGrad(x []float64, n int, f, g []float64) {
	d := a.e.Dim()
	if cap(a.x) < n*d {
		a.x, a.g, a.f = make([]T, n*d), make([]T, n*d), make([]T, n)
	}
	xs, fs, gs := a.x[:n*d], a.f[:n], a.g[:n*d]
	for i, v := range x[:n*d] {
		xs[i] = T(v)
	}
	a.e.EnergyGrad(xs, n, fs, gs)
	for i, v := range fs {
		f[i] = float64(v)
	}
	for i, v := range gs {
		g[i] = float64(v)
	}
}

// aisTarget is what AIS needs of an evaluator: its energy in float64, a failure check
// (nil unless a caller's function), the model's training data and noise box (models only).
func aisTarget(ev evaluator) (e sampler.Energy[float64], failed func() error, data func() ([]float64, int), box [2]float64, err error) {
	switch t := ev.(type) {
	case *modelT[float64]:
		x, n := t.tr.Data()
		return nn.NewNetEnergy(t.tr.Net, t.tr.ModelParams()), nil, func() ([]float64, int) { return x, n },
			[2]float64{t.tr.Config.NoiseLo, t.tr.Config.NoiseHi}, nil
	case *modelT[float32]:
		x, n := t.tr.Data()
		data = func() ([]float64, int) {
			out := make([]float64, len(x))
			for i, v := range x {
				out[i] = float64(v)
			}
			return out, n
		}
		return &energy64[float32]{e: nn.NewNetEnergy(t.tr.Net, t.tr.ModelParams())}, nil, data,
			[2]float64{t.tr.Config.NoiseLo, t.tr.Config.NoiseHi}, nil
	case *analytic:
		if fl, ok := t.e.(failer); ok {
			failed = func() error {
				err := fl.err()
				fl.reset()
				return err
			}
		}
		return t.e, failed, nil, [2]float64{}, nil
	}
	return nil, nil, nil, box, fmt.Errorf("AIS cannot run on %T", ev)
}

// newAIS makes an AIS run on the energy of handle target from a JSON request (aisRequest),
// with points (n×dim float64) to fit the base to when its base is "points", and start
// points (chains×dim float64) for a reverse run (nil: forward).
func newAIS(target int64, request string, points []float64, nPoints int, starts []float64) (*aisRun, error) {
	ev, err := lookupEvaluator(target)
	if err != nil {
		return nil, err
	}
	var req aisRequest
	dec := json.NewDecoder(bytes.NewReader([]byte(request)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("AIS request: %v", err)
	}
	cfg, err := req.config()
	if err != nil {
		return nil, err
	}
	release, err := ev.acquire(false) // the model's data and parameters are read here
	if err != nil {
		return nil, err
	}
	defer release()
	e, failed, data, box, err := aisTarget(ev)
	if err != nil {
		return nil, err
	}
	d := e.Dim()
	var base metric.DiagGaussian
	switch req.Base {
	case "points":
		if base, err = metric.FitDiagGaussian(points, nPoints, d); err != nil {
			return nil, fmt.Errorf("base: %v", err)
		}
	case "data":
		if data == nil {
			return nil, fmt.Errorf("base=\"data\" needs a trained model; give points to fit the base to")
		}
		x, n := data()
		if n == 0 {
			return nil, fmt.Errorf("base=\"data\": the model holds no data (a model loaded from a file); give points to fit the base to")
		}
		if base, err = metric.FitDiagGaussian(x, n, d); err != nil {
			return nil, fmt.Errorf("base: %v", err)
		}
	case "noise":
		if data == nil {
			return nil, fmt.Errorf("base=\"noise\" needs a trained model (its noise box)")
		}
		lo, hi := box[0], box[1]
		if !(lo < hi) {
			lo, hi = -1, 1
		}
		base = metric.DiagGaussian{Mean: make([]float64, d), Std: make([]float64, d)}
		for j := range base.Mean {
			base.Mean[j], base.Std[j] = (lo+hi)/2, (hi-lo)/2
		}
	case "given":
		if len(req.GivenMean) != d || len(req.GivenStd) != d {
			return nil, fmt.Errorf("base mean and std must have %d values each, got %d and %d", d, len(req.GivenMean), len(req.GivenStd))
		}
		for j, s := range req.GivenStd {
			if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(req.GivenMean[j]) || math.IsInf(req.GivenMean[j], 0) {
				return nil, fmt.Errorf("base std must be finite and > 0 and mean finite, got std %v and mean %v at %d", s, req.GivenMean[j], j)
			}
		}
		base = metric.DiagGaussian{Mean: req.GivenMean, Std: req.GivenStd}
	default:
		return nil, fmt.Errorf("base must be \"points\", \"data\", \"noise\" or \"given\", got %q", req.Base)
	}
	if starts != nil {
		for i, v := range starts {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("reverse AIS start points must be finite: value %d is %v", i, v)
			}
		}
		starts = append([]float64(nil), starts...)
	}
	run, err := metric.NewAIS(e, base, cfg, starts)
	if err != nil {
		return nil, err
	}
	return &aisRun{acquire: ev.acquire, run: run, cfg: cfg, base: base, reverse: starts != nil, failed: failed}, nil
}

func lookupAIS(h int64) (*aisRun, error) { return lookupAs[*aisRun](h, "an AIS run") }

// StepAIS takes AIS run h through up to k more distributions (fewer when Stop is called) and
// returns how many remain.
func StepAIS(h int64, k int) (remaining int, err error) {
	defer guard(&err)
	a, err := lookupAIS(h)
	if err != nil {
		return 0, err
	}
	if k < 0 {
		return 0, fmt.Errorf("k must be >= 0, got %d", k)
	}
	a.stopReq.Store(false)
	err = offThread(func() error {
		release, err := a.acquire(false)
		if err != nil {
			return err
		}
		defer release()
		for i := 0; i < k && a.run.Remaining() > 0; i++ {
			if a.stopReq.Load() {
				return nil
			}
			a.run.Advance(1)
			if a.failed != nil {
				if err := a.failed(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return a.run.Remaining(), err
}

// AISResult describes AIS run h as JSON: log_z, std_err, ess, accept, step_size, the log
// weights, the settings it ran with and its base's mean and std; NaN or infinite values
// are null.
func AISResult(h int64) (s string, err error) {
	defer guard(&err)
	a, err := lookupAIS(h)
	if err != nil {
		return "", err
	}
	r := a.run.Result()
	lw := make([]*float64, len(r.LogWeights))
	for i, v := range r.LogWeights {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			v := v
			lw[i] = &v
		}
	}
	out := map[string]any{"log_weights": lw, "reverse": a.reverse, "remaining": a.run.Remaining(),
		"distributions": a.cfg.Distributions, "chains": a.cfg.Chains, "steps": a.cfg.Steps,
		"transition": map[bool]string{true: "hmc", false: "mala"}[a.cfg.Transition.Method == sampler.HMC],
		"leapfrog":   a.cfg.Transition.Leapfrog, "temperature": a.cfg.Temperature,
		"base_mean": a.base.Mean, "base_std": a.base.Std}
	for k, v := range jsonFloats(map[string]float64{"log_z": r.LogZ, "std_err": r.StdErr, "ess": r.ESS,
		"accept": r.Accept, "step_size": r.StepSize}) {
		out[k] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}
