package capi

import (
	"encoding/json"
	"fmt"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/run"
)

// Schema returns the run parameter table (run.Table) as JSON, a list of run.Param in the
// order of the docs with ImageDefault filled in: what the Python package documents and
// lists its parameters from. Defaults, bounds and choices live in run.Table only.
func Schema() (s string, err error) {
	defer guard(&err)
	ps := make([]run.Param, len(run.Table))
	for i, p := range run.Table {
		if p.ImageDefault == nil {
			p.ImageDefault = p.Default
		}
		ps[i] = p
	}
	b, err := json.Marshal(ps)
	return string(b), err
}

// SamplerParams lists the run parameters that sampling takes (run.SamplerParams).
func SamplerParams() []string { return run.SamplerParams }

var boundRestores []func()

// SetParamBound replaces a bound of the run table (which "min" or "max") in this process
// until RestoreParamBounds. For tests, which show that Go's validation and the Python
// package's messages follow the table.
func SetParamBound(name, which string, v float64) (err error) {
	defer guard(&err)
	if _, ok := run.Lookup(name); !ok || (which != "min" && which != "max") {
		return fmt.Errorf("no bound %q of parameter %q", which, name)
	}
	boundRestores = append(boundRestores, run.SetBound(name, which, v))
	return nil
}

// RestoreParamBounds undoes every SetParamBound.
func RestoreParamBounds() {
	for i := len(boundRestores) - 1; i >= 0; i-- {
		boundRestores[i]()
	}
	boundRestores = nil
}

// Defaults gives every run parameter's default for an energy, as JSON: energy is the JSON
// {"energy": name, "layers": [specs]} (layers for "layers" only); nets on images get the
// image defaults (run.Defaults).
func Defaults(energy string) (s string, err error) {
	defer guard(&err)
	var e struct {
		Energy string         `json:"energy"`
		Layers []nn.LayerSpec `json:"layers"`
	}
	if err := json.Unmarshal([]byte(energy), &e); err != nil {
		return "", fmt.Errorf(`energy must be JSON {"energy": name, "layers": [...]}: %v`, err)
	}
	if err := run.CheckChoice("energy", e.Energy); err != nil {
		return "", pyErr(err)
	}
	b, err := json.Marshal(run.Defaults(e.Energy, e.Layers))
	return string(b), err
}

// RankSeed is the seed of rank's random stream in a data-parallel run seeded with seed
// (run.RankSeed).
func RankSeed(seed int64, rank int) int64 { return int64(run.RankSeed(uint64(seed), rank)) }
