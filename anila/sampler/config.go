package sampler

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/anila-ebm/anila/anila/internal/enum"
)

// Method chooses the step rule (StepRule): an index into the registered rules (rule.go),
// stored by name in files.
type Method int

// String is the rule's name as the Python API spells it.
func (m Method) String() string {
	if r := m.Rule(); r != nil {
		return r.Name()
	}
	return fmt.Sprintf("method(%d)", int(m))
}

// ParseMethod maps a registered rule's name ("sgld", "anila") to its
// Method.
func ParseMethod(s string) (Method, error) {
	if m, ok := ruleIndex[s]; ok {
		return m, nil
	}
	return 0, fmt.Errorf("sampler: unknown sampler %q (want %s)", s, ruleChoices())
}

// MarshalJSON stores the method by name.
func (m Method) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON reads a name, or the integer of format-1 model files.
func (m *Method) UnmarshalJSON(b []byte) (err error) {
	*m, err = enum.Unmarshal(b, ParseMethod, Method(len(rules)-1))
	return err
}

// Anisotropy is the granularity of AniLA's step size.
type Anisotropy int

const (
	// PerCoordinate takes |g_i| for each coordinate (the default).
	PerCoordinate Anisotropy = iota
	// PerPixel takes the gradient norm over the channels of each pixel (NCHW layout).
	PerPixel
	// PerChain takes the gradient norm over the whole sample.
	PerChain
)

// String is the mode's name as the Python API spells it.
func (a Anisotropy) String() string {
	switch a {
	case PerCoordinate:
		return "coordinate"
	case PerPixel:
		return "pixel"
	case PerChain:
		return "chain"
	}
	return fmt.Sprintf("anisotropy(%d)", int(a))
}

// ParseAnisotropy maps "coordinate", "pixel" or "chain" to an Anisotropy.
func ParseAnisotropy(s string) (Anisotropy, error) {
	switch s {
	case "coordinate":
		return PerCoordinate, nil
	case "pixel":
		return PerPixel, nil
	case "chain":
		return PerChain, nil
	}
	return 0, fmt.Errorf("sampler: unknown anisotropy %q (want \"coordinate\", \"pixel\" or \"chain\")", s)
}

// MarshalJSON stores the mode by name.
func (a Anisotropy) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON reads a name, or the integer of format-1 model files.
func (a *Anisotropy) UnmarshalJSON(b []byte) (err error) {
	*a, err = enum.Unmarshal(b, ParseAnisotropy, PerChain)
	return err
}

// Mass is HMC's mass matrix, diagonal: its inverse scales how far each coordinate moves.
type Mass int

const (
	// IdentityMass moves every coordinate alike.
	IdentityMass Mass = iota
	// DiagMass is estimated during a warm-up from the draws' variances (M⁻¹ᵢ = Var zᵢ), as
	// Stan does; without a warm-up it stays the identity.
	DiagMass
	// GradientMass is AniLA's rule carried to HMC, estimated during a warm-up from the
	// gradient's scale: M⁻¹ᵢ = b / max(b, rms ∂f/∂zᵢ) with b the threshold.
	GradientMass
)

// String is the mass's name as the Python API spells it.
func (m Mass) String() string {
	switch m {
	case IdentityMass:
		return "identity"
	case DiagMass:
		return "diag"
	case GradientMass:
		return "gradient"
	}
	return fmt.Sprintf("mass(%d)", int(m))
}

// ParseMass maps "identity", "diag" or "gradient" to a Mass.
func ParseMass(s string) (Mass, error) {
	switch s {
	case "identity":
		return IdentityMass, nil
	case "diag":
		return DiagMass, nil
	case "gradient":
		return GradientMass, nil
	}
	return 0, fmt.Errorf("sampler: unknown mass %q (want \"identity\", \"diag\" or \"gradient\")", s)
}

// MarshalJSON stores the mass by name.
func (m Mass) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON reads a name.
func (m *Mass) UnmarshalJSON(b []byte) (err error) {
	*m, err = enum.Unmarshal(b, ParseMass, GradientMass)
	return err
}

// Config is a sampler's settings; the step is
//
//	z ← z + (γ/2)⊙∇f(z) + ε·√γ⊙ξ,  ξ ~ N(0, I)
//
// with γ = η for SGLD and γ = η·b / max(b, |∇f|) for AniLA.
type Config struct {
	Method Method
	// StepSize is η: SGLD's step size, AniLA's largest step.
	StepSize float64
	// Threshold is AniLA's b: gradients below it take the full step η.
	Threshold float64
	// NoiseScale is ε; 1 is exact Langevin.
	NoiseScale float64
	// Anisotropy is AniLA's granularity.
	Anisotropy Anisotropy
	// Channels is the number of channels of an NCHW sample, for PerPixel (1 otherwise).
	Channels int
	// Adjusted adds a Metropolis–Hastings accept/reject (MALA), exact for a fixed energy.
	Adjusted bool
	// Lo and Hi clamp proposals to a box when Lo < Hi; adjusted samplers (and HMC) reject
	// proposals outside it instead, which makes them exact for the target truncated to the box.
	Lo, Hi float64
	// Leapfrog is HMC's number of leapfrog steps L per step (HMC only); StepSize is then
	// the leapfrog step h. HMC is always Metropolis-corrected and samples exp(f) exactly:
	// NoiseScale and Adjusted play no part in it.
	Leapfrog int `json:",omitempty"`
	// Mass is HMC's mass matrix (HMC only).
	Mass Mass `json:",omitempty"`
}

// Metropolis reports whether a step ends with a Metropolis–Hastings test: adjusted Langevin
// (MALA) and HMC.
func (c Config) Metropolis() bool { return c.Adjusted || c.Method == HMC }

func finitePositive(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return fmt.Errorf("%s must be a finite positive number, got %v", name, v)
	}
	return nil
}

// Validate reports the first bad setting, naming it and its value. dim is the point
// dimension the sampler will see (0 to skip the checks that need it).
func (c Config) Validate(dim int) error {
	rule := c.Method.Rule()
	if rule == nil {
		return fmt.Errorf("sampler must be one of %s, got %v", ruleChoices(), c.Method)
	}
	if err := finitePositive("step_size", c.StepSize); err != nil {
		return err
	}
	if err := rule.Validate(c); err != nil {
		return err
	}
	if math.IsNaN(c.NoiseScale) || math.IsInf(c.NoiseScale, 0) || c.NoiseScale < 0 {
		return fmt.Errorf("noise_scale must be a finite number >= 0, got %v", c.NoiseScale)
	}
	if c.Mass < IdentityMass || c.Mass > GradientMass {
		return fmt.Errorf("mass must be \"identity\", \"diag\" or \"gradient\", got %v", c.Mass)
	}
	if c.Adjusted && c.NoiseScale == 0 && c.Method != HMC {
		return fmt.Errorf("noise_scale must be > 0 for an adjusted sampler, got 0")
	}
	if c.Anisotropy < PerCoordinate || c.Anisotropy > PerChain {
		return fmt.Errorf("anisotropy must be \"coordinate\", \"pixel\" or \"chain\", got %v", c.Anisotropy)
	}
	if c.Channels < 1 {
		return fmt.Errorf("channels must be >= 1, got %d", c.Channels)
	}
	if dim > 0 && c.Anisotropy == PerPixel && dim%c.Channels != 0 {
		return fmt.Errorf("anisotropy \"pixel\" needs the dimension (%d) to be a multiple of channels (%d)", dim, c.Channels)
	}
	if math.IsNaN(c.Lo) || math.IsNaN(c.Hi) {
		return fmt.Errorf("clamp bounds must not be NaN, got (%v, %v)", c.Lo, c.Hi)
	}
	return nil
}

// Clamped reports whether the box [Lo, Hi] is in force.
func (c Config) Clamped() bool { return c.Lo < c.Hi }
