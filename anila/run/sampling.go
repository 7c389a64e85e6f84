package run

import (
	"sort"

	"github.com/anila-ebm/anila/anila/sampler"
)

// SamplerParams are the table's parameters that sampling takes (Model.sample, anila.sample).
var SamplerParams = []string{"sampler", "adjusted", "step_size", "threshold", "noise_scale", "anisotropy"}

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
	return sampler.Config{Method: m, Adjusted: get("adjusted").(bool), StepSize: get("step_size").(float64),
		Threshold: get("threshold").(float64), NoiseScale: get("noise_scale").(float64), Anisotropy: a, Channels: 1}
}

// ResolveSampler is base with the sampler parameters given (SamplerParams by name, values as
// decoded JSON; null means not given) put in, each checked against the table.
func ResolveSampler(base sampler.Config, given map[string]any) (sampler.Config, error) {
	var unknown []string
	for name := range given {
		known := false
		for _, s := range SamplerParams {
			known = known || s == name
		}
		if !known {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return base, typeErr(unknown[0], "unknown sampler parameter(s) %s; known: %s", pyList(unknown), pyList(SamplerParams))
	}
	c := base
	for _, name := range SamplerParams {
		v := given[name]
		if v == nil {
			continue
		}
		p, _ := Lookup(name)
		val, err := p.value(v)
		if err != nil {
			return base, err
		}
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
		}
	}
	if c.Adjusted && c.NoiseScale == 0 {
		return base, valueErr("noise_scale", "noise_scale must be > 0 for an adjusted sampler, got 0.0")
	}
	return c, c.Validate(0)
}
