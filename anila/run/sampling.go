package run

import (
	"sort"

	"github.com/anila-ebm/anila/anila/sampler"
)

// SamplerParams are the table's parameters that sampling takes (Model.sample, anila.sample):
// the sampler's own, then those of sampling alone (the warm-up and tempering).
var SamplerParams = []string{"sampler", "adjusted", "step_size", "threshold", "noise_scale", "anisotropy",
	"leapfrog", "mass", "warmup", "adapt", "target_accept", "replicas", "max_temperature", "adapt_ladder"}

// Sampling is a sampling run decided: the sampler, its warm-up and its tempering.
type Sampling struct {
	Sampler sampler.Config
	// Warmup is the number of warm-up steps before the kept ones (0: none).
	Warmup int
	// Adapt says whether the warm-up tunes the step size (and HMC's mass); TargetAccept is
	// its target (0: sampler.DefaultTarget).
	Adapt        bool
	TargetAccept float64
	Tempering    sampler.Tempering
}

// Adaptation is the warm-up's sampler.Adaptation (Steps 0 when it adapts nothing).
func (s Sampling) Adaptation() sampler.Adaptation {
	if !s.Adapt || s.Warmup == 0 {
		return sampler.Adaptation{}
	}
	return sampler.Adaptation{Steps: s.Warmup, TargetAccept: s.TargetAccept}
}

// DefaultSampler is the sampler of the table's defaults for point data (what sampling an
// analytic energy or a function starts from), without a clamp.
func DefaultSampler() sampler.Config {
	get := func(name string) any {
		p, _ := Lookup(name)
		v, _ := p.value(plain(p.Default))
		return v
	}
	m, _ := sampler.ParseMethod(get("sampler").(string))
	a, _ := sampler.ParseAnisotropy(get("anisotropy").(string))
	mass, _ := sampler.ParseMass(get("mass").(string))
	return sampler.Config{Method: m, Adjusted: get("adjusted").(bool), StepSize: get("step_size").(float64),
		Threshold: get("threshold").(float64), NoiseScale: get("noise_scale").(float64), Anisotropy: a, Channels: 1,
		Leapfrog: int(get("leapfrog").(int64)), Mass: mass}
}

// ResolveSampler is base with the sampler parameters given (SamplerParams by name, values as
// decoded JSON; null means not given) put in, each checked against the table. Parameters of
// sampling alone are refused here; ResolveSampling takes them.
func ResolveSampler(base sampler.Config, given map[string]any) (sampler.Config, error) {
	s, err := resolveSampling(base, given, 0, false, false, false)
	return s.Sampler, err
}

// ResolveSampling decides a sampling run of steps kept steps on a target whose own sampler
// is base (trained: a model's training sampler), from the parameters given (SamplerParams
// by name; null means not given), each checked against the table. fixedNoise says that the
// caller gives every step's noise: then there is no warm-up adaptation and no tempering,
// whose draws it does not hold.
//
// The warm-up adapts by default ("auto") when there are steps to take, no step_size or
// noise is given, and the chains target exp(f) exactly: HMC, a Metropolis-adjusted rule, or
// Langevin with noise_scale 1; except that a model's own unadjusted sampler keeps the step
// size it was trained with (its samples are what training saw). It then lasts
// max(100, steps/2) steps unless warmup says otherwise.
func ResolveSampling(base sampler.Config, given map[string]any, steps int, fixedNoise, trained bool) (Sampling, error) {
	return resolveSampling(base, given, steps, fixedNoise, trained, true)
}

func resolveSampling(base sampler.Config, given map[string]any, steps int, fixedNoise, trained, sampling bool) (Sampling, error) {
	out := Sampling{Sampler: base, Tempering: sampler.Tempering{Replicas: 1}}
	var unknown []string
	for name := range given {
		p, known := Lookup(name)
		known = known && (sampling || !p.SampleOnly)
		inList := false
		for _, s := range SamplerParams {
			inList = inList || s == name
		}
		if !known || !inList {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var names []string
		for _, n := range SamplerParams {
			if p, _ := Lookup(n); sampling || !p.SampleOnly {
				names = append(names, n)
			}
		}
		return out, typeErr(unknown[0], "unknown sampler parameter(s) %s; known: %s", pyList(unknown), pyList(names))
	}
	vals := map[string]any{}
	for _, name := range SamplerParams {
		p, _ := Lookup(name)
		v, ok := given[name]
		if !ok || v == nil {
			if !p.SampleOnly || p.Default == nil {
				continue
			}
			v = plain(p.Default)
		}
		val, err := p.value(v)
		if err != nil {
			return out, err
		}
		vals[name] = val
	}
	c := &out.Sampler
	for name, val := range vals {
		switch name {
		case "sampler":
			c.Method, _ = sampler.ParseMethod(val.(string))
		case "adjusted":
			c.Adjusted = val.(bool)
		case "step_size":
			c.StepSize = val.(float64)
		case "threshold":
			c.Threshold = val.(float64)
		case "noise_scale":
			c.NoiseScale = val.(float64)
		case "anisotropy":
			c.Anisotropy, _ = sampler.ParseAnisotropy(val.(string))
		case "leapfrog":
			c.Leapfrog = int(val.(int64))
		case "mass":
			c.Mass, _ = sampler.ParseMass(val.(string))
		}
	}
	if c.Method == sampler.HMC {
		c.Leapfrog = leapfrogOf(*c)
	}
	if c.Adjusted && c.NoiseScale == 0 && c.Method != sampler.HMC {
		return out, valueErr("noise_scale", "noise_scale must be > 0 for an adjusted sampler, got 0.0")
	}
	if err := c.Validate(0); err != nil {
		return out, err
	}
	if !sampling {
		return out, nil
	}

	// the warm-up
	exact := c.Metropolis() || c.NoiseScale == 1
	ownUnadjusted := trained && !c.Metropolis() && c.Method == base.Method
	switch vals["adapt"].(string) {
	case "yes":
		out.Adapt = true
	case "auto":
		out.Adapt = given["step_size"] == nil && exact && !fixedNoise && steps > 0 && !ownUnadjusted
	}
	if out.Adapt && fixedNoise {
		return out, valueErr("adapt", "adapt='yes' cannot run with the noise given (its warm-up draws its own); pass adapt='no' or leave noise out")
	}
	if w, ok := vals["warmup"]; ok {
		out.Warmup = int(w.(int64))
		if out.Warmup > 0 && fixedNoise {
			return out, valueErr("warmup", "warmup must be 0 or None with the noise given, got %d", out.Warmup)
		}
	} else if out.Adapt {
		out.Warmup = max(100, steps/2)
	}
	if out.Adapt && out.Warmup == 0 {
		return out, valueErr("warmup", "warmup must be >= 1 to adapt the step size, got 0 (pass adapt='no' to keep the step size)")
	}
	if t, ok := vals["target_accept"]; ok {
		out.TargetAccept = t.(float64)
	}

	// tempering
	out.Tempering = sampler.Tempering{Replicas: int(vals["replicas"].(int64)), MaxTemperature: vals["max_temperature"].(float64),
		Adapt: vals["adapt_ladder"].(bool)}
	if out.Tempering.Replicas > 1 && fixedNoise {
		return out, valueErr("replicas", "replicas must be 1 with the noise given (tempering's swaps draw their own), got %d", out.Tempering.Replicas)
	}
	return out, out.Tempering.Validate()
}

// leapfrogOf is c's leapfrog count, or the table's default for a model trained before HMC
// existed (its file holds none).
func leapfrogOf(c sampler.Config) int {
	if c.Leapfrog > 0 {
		return c.Leapfrog
	}
	p, _ := Lookup("leapfrog")
	return p.Default.(int)
}
