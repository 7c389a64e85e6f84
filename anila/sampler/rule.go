package sampler

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// StepRule is how a Langevin step picks its step size γ: per unit (a coordinate, a pixel or
// a chain, as Config.Anisotropy says), from the magnitude a of the gradient over that unit.
// The step itself, its Metropolis adjustment and the noise are the same for every rule.
// SGLD and AniLA are rules; a new one is a type with these methods and a RegisterRule call.
type StepRule interface {
	// Name is the rule's name in the Python API and in model files.
	Name() string
	// Gamma is the step size of a unit whose gradient magnitude is a, and whether the rule
	// shrank it below its largest step (reported as Info.Clipped).
	Gamma(c *Config, a float64) (gamma float64, clipped bool)
	// Constant reports that Gamma does not depend on a (the sampler then skips the norms).
	Constant() bool
	// Validate checks the settings the rule reads, naming the bad one.
	Validate(c Config) error
}

var (
	rules     []StepRule
	ruleIndex = map[string]Method{}
)

// RegisterRule adds a step rule and returns its Method, the value Config.Method takes to
// use it. Registering a name twice panics.
func RegisterRule(r StepRule) Method {
	if _, dup := ruleIndex[r.Name()]; dup {
		panic("sampler: step rule " + r.Name() + " registered twice")
	}
	m := Method(len(rules))
	rules = append(rules, r)
	ruleIndex[r.Name()] = m
	return m
}

// Rule returns the step rule of m, or nil when m names none.
func (m Method) Rule() StepRule {
	if m < 0 || int(m) >= len(rules) {
		return nil
	}
	return rules[m]
}

// RuleNames lists the registered step rules' names, sorted.
func RuleNames() []string {
	names := make([]string, 0, len(rules))
	for _, r := range rules {
		names = append(names, r.Name())
	}
	sort.Strings(names)
	return names
}

func ruleChoices() string {
	q := make([]string, 0, len(rules))
	for _, n := range RuleNames() {
		q = append(q, fmt.Sprintf("%q", n))
	}
	return strings.Join(q, ", ")
}

// sgldRule is SGLD's rule: γ = η for every unit.
type sgldRule struct{}

// Name, Gamma, Constant and Validate implement StepRule for SGLD.
func (sgldRule) Name() string                               { return "sgld" }
func (sgldRule) Gamma(c *Config, a float64) (float64, bool) { return c.StepSize, false }
func (sgldRule) Constant() bool                             { return true }
func (sgldRule) Validate(c Config) error                    { return nil }

// anilaRule is AniLA's rule: γ = η·b / max(b, a).
type anilaRule struct{}

// Name, Gamma, Constant and Validate implement StepRule for AniLA.
func (anilaRule) Name() string { return "anila" }
func (anilaRule) Gamma(c *Config, a float64) (float64, bool) {
	if a > c.Threshold {
		return c.StepSize * c.Threshold / a, true
	}
	return c.StepSize, false
}
func (anilaRule) Constant() bool { return false }
func (anilaRule) Validate(c Config) error {
	return finitePositive("threshold", c.Threshold)
}

// hmcRule is Hamiltonian Monte Carlo's: L leapfrog steps of size h = StepSize with a
// diagonal mass, then a Metropolis test (hmc.go). It has no Langevin step size of its own;
// Gamma reports h so that a step's Info describes it.
type hmcRule struct{}

// Name, Gamma, Constant and Validate implement StepRule for HMC.
func (hmcRule) Name() string                               { return "hmc" }
func (hmcRule) Gamma(c *Config, a float64) (float64, bool) { return c.StepSize, false }
func (hmcRule) Constant() bool                             { return true }
func (hmcRule) Validate(c Config) error {
	if c.Leapfrog < 1 || c.Leapfrog > 1<<20 {
		return fmt.Errorf("leapfrog must be an int in [1, %d], got %d", 1<<20, c.Leapfrog)
	}
	return nil
}

// The built-in rules, registered first so that their Methods are 0, 1 and 2.
var (
	// SGLD uses one scalar step size η for every coordinate.
	SGLD = RegisterRule(sgldRule{})
	// AniLA uses γ = η·b / max(b, |g|), per coordinate, pixel or chain.
	AniLA = RegisterRule(anilaRule{})
	// HMC takes Leapfrog leapfrog steps of size StepSize with a diagonal mass and a
	// Metropolis test.
	HMC = RegisterRule(hmcRule{})
)

// UnitMagnitudes appends to dst the gradient magnitude a of every unit of the n×d gradient
// g, as the step rule sees it under c.Anisotropy: |g_i| per coordinate, the norm over the
// channels per pixel (NCHW), or the norm per chain. It is what an adapted threshold is a
// quantile of.
func UnitMagnitudes[T Float](c Config, g []T, n, d int, dst []float64) []float64 {
	switch c.Anisotropy {
	case PerCoordinate:
		for _, v := range g[:n*d] {
			dst = append(dst, math.Abs(float64(v)))
		}
	case PerChain:
		for k := 0; k < n; k++ {
			ss := 0.0
			for _, v := range g[k*d : (k+1)*d] {
				ss += float64(v) * float64(v)
			}
			dst = append(dst, math.Sqrt(ss))
		}
	default:
		ch := max(c.Channels, 1)
		p := d / ch
		for k := 0; k < n; k++ {
			row := g[k*d : (k+1)*d]
			for px := 0; px < p; px++ {
				ss := 0.0
				for cc := 0; cc < ch; cc++ {
					v := float64(row[cc*p+px])
					ss += v * v
				}
				dst = append(dst, math.Sqrt(ss))
			}
		}
	}
	return dst
}
