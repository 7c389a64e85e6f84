package sampler_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/anila-ebm/anila/anila/energy"
	"github.com/anila-ebm/anila/anila/sampler"
)

// genericAniLA is AniLA's rule written as a user would add a rule: a type and a
// RegisterRule call. It goes through the sampler's generic path, not AniLA's inline one.
type genericAniLA struct{}

func (genericAniLA) Name() string { return "anila-generic" }
func (genericAniLA) Gamma(c *sampler.Config, a float64) (float64, bool) {
	if a > c.Threshold {
		return c.StepSize * c.Threshold / a, true
	}
	return c.StepSize, false
}
func (genericAniLA) Constant() bool                  { return false }
func (genericAniLA) Validate(c sampler.Config) error { return nil }

var genericMethod = sampler.RegisterRule(genericAniLA{})

// TestRegisteredRule: a rule registered by name is found by name, and one that computes
// AniLA's γ gives the same chains, bit for bit, as AniLA for every anisotropy, unadjusted and
// adjusted; unknown names and methods are rejected with the registered choices.
func TestRegisteredRule(t *testing.T) {
	if m, err := sampler.ParseMethod("anila-generic"); err != nil || m != genericMethod {
		t.Fatalf("ParseMethod: %v, %v", m, err)
	}
	if !slices.Contains(sampler.RuleNames(), "anila-generic") || genericMethod.String() != "anila-generic" {
		t.Fatal("the registered rule is not listed")
	}
	g, _ := energy.NewGaussian[float64]([]float64{0, 1, 0, -1}, []float64{1, 0.3, 0, 0, 0.3, 2, 0, 0, 0, 0, 0.5, 0.1, 0, 0, 0.1, 3})
	for _, an := range []sampler.Anisotropy{sampler.PerCoordinate, sampler.PerPixel, sampler.PerChain} {
		for _, adj := range []bool{false, true} {
			cfg := sampler.Config{Method: sampler.AniLA, StepSize: 0.4, Threshold: 0.8, NoiseScale: 1, Anisotropy: an,
				Channels: 2, Adjusted: adj}
			want, wi := run4(t, cfg, g)
			cfg.Method = genericMethod
			got, gi := run4(t, cfg, g)
			if !slices.Equal(got, want) || gi != wi {
				t.Fatalf("%v adjusted=%v: the generic rule differs from AniLA", an, adj)
			}
			if wi.Clipped == 0 {
				t.Fatalf("%v: the threshold never acted, so the test shows nothing", an)
			}
		}
	}
	if _, err := sampler.ParseMethod("nuts"); err == nil || !strings.Contains(err.Error(), `"anila", "anila-generic", "hmc", "sgld"`) {
		t.Fatalf("unknown name: %v", err)
	}
	if err := (sampler.Config{Method: 99, StepSize: 1, NoiseScale: 1, Channels: 1}).Validate(0); err == nil {
		t.Fatal("an unregistered method validated")
	}
}

func run4(t *testing.T, cfg sampler.Config, e sampler.Energy[float64]) ([]float64, sampler.Info) {
	t.Helper()
	src := sampler.NewRandSource[float64](3)
	n := 50
	x := make([]float64, 4*n)
	src.Normal(x)
	info, err := sampler.Run(cfg, e, x, n, 30, src)
	if err != nil {
		t.Fatal(err)
	}
	return x, info
}

// TestUnitMagnitudes checks the units' magnitudes for each anisotropy on a 2-chain,
// 2-channel, 2-pixel gradient.
func TestUnitMagnitudes(t *testing.T) {
	g := []float64{3, 0, 4, 1, -1, 2, 0, 2} // chain 0: channel 0 (3, 0), channel 1 (4, 1)
	for _, c := range []struct {
		a    sampler.Anisotropy
		want []float64
	}{
		{sampler.PerCoordinate, []float64{3, 0, 4, 1, 1, 2, 0, 2}},
		{sampler.PerPixel, []float64{5, 1, 1, 2 * math.Sqrt2}},
		{sampler.PerChain, []float64{math.Sqrt(26), 3}},
	} {
		cfg := sampler.Config{Method: sampler.SGLD, StepSize: 0.01, Threshold: 1, NoiseScale: 1, Channels: 1}
		cfg.Anisotropy, cfg.Channels = c.a, 2
		got := sampler.UnitMagnitudes(cfg, g, 2, 4, nil)
		if len(got) != len(c.want) {
			t.Fatalf("%v: %v, want %v", c.a, got, c.want)
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-12 {
				t.Fatalf("%v: %v, want %v", c.a, got, c.want)
			}
		}
	}
}
