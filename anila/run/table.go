package run

import (
	"fmt"
	"math"

	"github.com/anila-ebm/anila/anila/sampler"
)

// Param is one parameter of a training run (of the Python package's anila.train and
// anila.EBM, and of Resolve): its kind, its default for point data and for images, its
// bounds or choices, and what it is for. Table holds them all; nothing else states a
// default, a bound or a choice.
type Param struct {
	Name string `json:"name"`
	// Kind says what a value is: "int", "float", "bool", "choice" (one of Choices), "ints"
	// (a list of ints within the bounds), "pair" (two floats within the bounds), "box" (one
	// of Choices, null where Nullable, or a pair (lo, hi) of finite floats with lo < hi) or
	// "layers" (a list of layer specs).
	Kind string `json:"kind"`
	// Default is the value for point data (MLPs); ImageDefault the value for image
	// energies. A null default means the parameter is derived (see its Doc).
	Default      any `json:"default"`
	ImageDefault any `json:"image_default"`
	// Min and Max bound numbers and each number of a list (nil: unbounded); MinOpen and
	// MaxOpen exclude the bound.
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	MinOpen bool     `json:"min_open"`
	MaxOpen bool     `json:"max_open"`
	// Choices are the allowed names of a "choice", or the words a "box" takes.
	Choices []string `json:"choices"`
	// Nullable says that null (Python's None) is a value of its own (clamp=None: no clamp).
	Nullable bool `json:"nullable"`
	// SampleOnly marks a parameter of sampling alone (Model.sample, anila.sample: the
	// warm-up and tempering), which a training run does not take.
	SampleOnly bool   `json:"sample_only"`
	Doc        string `json:"doc"`
}

func num(v float64) *float64 { return &v }

// Activations are the MLP preset's nonlinearities, by the names Resolve takes.
var Activations = []string{"silu", "leakyrelu", "tanh", "elu", "softplus", "gelu", "swish"}

// Table is every parameter of a run, in the order of the docs. Defaults for point data were
// chosen by the toy-data study (docs/design.md, "Toy-data quality"): K = 40 Langevin steps, a
// data-driven jump for every chain and iteration, a moving average of the parameters
// (β = 0.99) and 6,600 iterations, with the 3×128 SiLU MLP on standardised inputs. Image
// defaults come from the Fashion-MNIST pilots (large steps with little noise, per-pixel
// AniLA, samples clamped to the data's range, a small energy penalty, data noise, a slower
// optimizer).
var Table = []Param{
	{Name: "energy", Kind: "choice", Default: "mlp", Choices: []string{"mlp", "convnet", "vanilla", "layers"},
		Doc: "the architecture: an MLP, the image ConvNets, or \"layers\" (given as anila.nn.Sequential or a torch module)"},
	{Name: "layers", Kind: "layers", Doc: "the layer specs of energy=\"layers\" (set from energy=anila.nn.Sequential(...) or a torch module)"},
	{Name: "hidden", Kind: "ints", Default: []int{128, 128, 128}, Min: num(1), Max: num(1 << 16), Doc: "the MLP's hidden widths"},
	{Name: "nf", Kind: "int", Default: 32, Min: num(1), Max: num(4096), Doc: "the image ConvNets' base channel count n_f"},
	{Name: "standardize", Kind: "bool", Default: true, ImageDefault: false,
		Doc: "the MLP sees its inputs standardised by the data's mean and scale; step_size and threshold are then per unit of that scale"},
	{Name: "activation", Kind: "choice", Default: "silu", Choices: Activations, Doc: "the MLP's nonlinearity"},
	{Name: "slope", Kind: "float", Default: 0.05, Doc: "LeakyReLU's negative slope in the presets"},
	{Name: "sampler", Kind: "choice", Default: "anila", Choices: sampler.RuleNames(),
		Doc: "the step rule: AniLA (per-coordinate Langevin steps), SGLD, or HMC (leapfrog steps and a Metropolis test)"},
	{Name: "adjusted", Kind: "bool", Default: false, Doc: "add a Metropolis-Hastings test (MALA)"},
	{Name: "steps", Kind: "int", Default: 40, ImageDefault: 20, Min: num(1), Max: num(1e6), Doc: "K, Langevin steps per iteration"},
	{Name: "step_size", Kind: "float", Default: 0.005, ImageDefault: 1.0, Min: num(0), MinOpen: true,
		Doc: "η, SGLD's step and AniLA's largest step (HMC: the leapfrog step h)"},
	{Name: "threshold", Kind: "float", Default: 10.0, ImageDefault: 0.1, Min: num(0), MinOpen: true,
		Doc: "AniLA's b: gradients below it take the full step"},
	{Name: "threshold_quantile", Kind: "float", Default: 0.0, Min: num(0), Max: num(1), MaxOpen: true,
		Doc: "adapt AniLA's b during training to this quantile of |df/dz_i| over the chains (0: b fixed)"},
	{Name: "noise_scale", Kind: "float", Default: 1.0, ImageDefault: 0.01, Min: num(0),
		Doc: "ε, the scale of the Langevin noise (1 is exact Langevin)"},
	{Name: "anisotropy", Kind: "choice", Default: "coordinate", ImageDefault: "pixel",
		Choices: []string{"coordinate", "pixel", "chain"}, Doc: "AniLA's granularity"},
	{Name: "leapfrog", Kind: "int", Default: 10, Min: num(1), Max: num(1 << 20), Doc: "HMC's leapfrog steps L per step"},
	{Name: "mass", Kind: "choice", Default: "diag", Choices: []string{"identity", "diag", "gradient"},
		Doc: "HMC's diagonal mass, set by a sampling warm-up: the draws' variances (\"diag\"), AniLA's b / max(b, rms df/dz_i) (\"gradient\") or none (\"identity\"; training has no warm-up and uses it)"},
	{Name: "channels", Kind: "int", Default: 1, Min: num(1), Max: num(4096), Doc: "channels of a sample, for anisotropy=\"pixel\" (set from images)"},
	{Name: "clamp", Kind: "box", Default: "auto", ImageDefault: "data", Choices: []string{"auto", "data"}, Nullable: true,
		Doc: "the box samples are clamped to: \"auto\" (the data's range widened by 20% on each side), \"data\" (its range), None or (lo, hi)"},
	{Name: "noise_box", Kind: "box", Default: "auto", Choices: []string{"auto", "central", "data"},
		Doc: "where chains start from noise: \"auto\" (\"central\" for MLPs, \"data\" for images), \"central\" (min_j(mean_j − sd_j) to max_j(mean_j + sd_j)), \"data\" or (lo, hi)"},
	{Name: "init", Kind: "choice", Default: "buffer", Choices: []string{"noise", "data", "buffer"}, Doc: "where each iteration's chains start"},
	{Name: "buffer_size", Kind: "int", Default: 10000, Min: num(1), Max: num(1 << 26), Doc: "the replay buffer's size (the whole run's, over all ranks)"},
	{Name: "reinit", Kind: "float", Default: 0.05, Min: num(0), Max: num(1), Doc: "the probability that a buffer chain restarts from noise"},
	{Name: "jump", Kind: "float", Default: 1.0, ImageDefault: 0.0, Min: num(0), Max: num(1),
		Doc: "the probability that a chain makes a data-driven Metropolis-Hastings jump per iteration (lets chains change modes; low-dimensional data)"},
	{Name: "jump_width", Kind: "float", Default: 0.05, Min: num(0), MinOpen: true,
		Doc: "the jump proposal's sd around data points, in units of the data's standard deviation per coordinate"},
	{Name: "ema", Kind: "float", Default: 0.99, ImageDefault: 0.0, Min: num(0), Max: num(1), MaxOpen: true,
		Doc: "the decay β of the parameters' moving average, which the trained model uses (0: the last iterate)"},
	{Name: "iterations", Kind: "int", Default: 6600, ImageDefault: 1000, Min: num(0), Max: num(1 << 40), Doc: "training iterations"},
	{Name: "batch_size", Kind: "int", Default: 128, ImageDefault: 64, Min: num(1), Max: num(1 << 20), Doc: "M, data points and chains per iteration"},
	{Name: "lr", Kind: "float", Default: 3e-3, ImageDefault: 3e-4, Min: num(0), MinOpen: true, Doc: "the learning rate"},
	{Name: "lr_decay", Kind: "choice", Default: "none", Choices: []string{"cosine", "none"},
		Doc: "the learning rate's schedule over the run's iterations: a cosine decay to lr·lr_floor, or none"},
	{Name: "lr_floor", Kind: "float", Default: 0.0, Min: num(0), Max: num(1), Doc: "the learning rate's final fraction under lr_decay=\"cosine\""},
	{Name: "betas", Kind: "pair", Default: []float64{0.9, 0.999}, ImageDefault: []float64{0.5, 0.999}, Min: num(0), Max: num(1), MaxOpen: true,
		Doc: "Adam's betas"},
	{Name: "momentum", Kind: "float", Default: 0.0, Min: num(0), Max: num(1), MaxOpen: true, Doc: "SGD's momentum"},
	{Name: "optimizer", Kind: "choice", Default: "adam", Choices: []string{"adam", "sgd"}, Doc: "the optimizer"},
	{Name: "l2", Kind: "float", Default: 0.1, ImageDefault: 0.01, Min: num(0), Doc: "α, the energy penalty α(f(x)² + f(z)²)"},
	{Name: "data_noise", Kind: "float", Default: 0.0, ImageDefault: 0.03, Min: num(0), Doc: "the sd of noise added to data points"},
	{Name: "grad_clip", Kind: "float", Default: 0.0, Min: num(0), Doc: "the parameter gradient's norm cap (0: none)"},
	{Name: "data_init", Kind: "bool", Default: true, ImageDefault: false, Doc: "pass the first layer's hyperplanes through data points"},
	{Name: "recover", Kind: "int", Default: 0, Min: num(0), Max: num(1000), Doc: "divergences rolled back (halving the learning rate) before DivergenceError"},
	{Name: "dtype", Kind: "choice", Default: "float32", Choices: []string{"float32", "float64"}, Doc: "the element type"},
	{Name: "seed", Kind: "int", Default: 0, Min: num(0), Max: num(math.MaxInt64), Doc: "seeds every random draw of the run"},

	// sampling alone
	{Name: "warmup", Kind: "int", Min: num(0), Max: num(1 << 40), Nullable: true, SampleOnly: true,
		Doc: "warm-up steps that adapt the step size (and HMC's mass) before the kept steps; None: max(100, steps/2) when the step size is adapted, else 0"},
	{Name: "adapt", Kind: "choice", Default: "auto", Choices: []string{"auto", "yes", "no"}, SampleOnly: true,
		Doc: "tune the step size during the warm-up; \"auto\": when there are steps, no step_size or noise is given and the chains target exp(f) exactly (HMC, Metropolis-adjusted, or noise_scale 1), except a model's own unadjusted sampler, which keeps its trained step"},
	{Name: "target_accept", Kind: "float", Min: num(0), Max: num(1), MinOpen: true, MaxOpen: true, Nullable: true, SampleOnly: true,
		Doc: "the acceptance probability the warm-up seeks; None: 0.574 for adjusted Langevin (MALA), 0.8 for HMC, 0.9 for unadjusted Langevin (whose error a test would have rejected)"},
	{Name: "replicas", Kind: "int", Default: 1, Min: num(1), Max: num(1024), SampleOnly: true,
		Doc: "parallel tempering's temperatures, T = 1 included (1: no tempering)"},
	{Name: "max_temperature", Kind: "float", Default: 10.0, Min: num(1), MinOpen: true, SampleOnly: true,
		Doc: "the hottest replica's temperature; the ladder starts geometric from 1"},
	{Name: "adapt_ladder", Kind: "bool", Default: true, SampleOnly: true,
		Doc: "move the inner temperatures during the warm-up toward equal swap rates"},
}

// Lookup returns the table entry of a parameter (of a run or of sampling).
func Lookup(name string) (Param, bool) {
	for _, p := range Table {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// CheckChoice checks value against the table's entry of the parameter name (a "choice"), with
// the table's error.
func CheckChoice(name, value string) error {
	p, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("run: no parameter %q", name)
	}
	_, err := p.value(value)
	return err
}

// defaultOf is the parameter's default for point data or for images.
func (p Param) defaultOf(image bool) any {
	if image && p.ImageDefault != nil {
		return p.ImageDefault
	}
	return p.Default
}

// SetBound replaces the minimum (which "min") or maximum ("max") of a parameter in Table
// and returns the function that puts the old bound back. For tests, which show that
// validation follows the table; the Python package reaches it through capi.
func SetBound(name, which string, v float64) (restore func()) {
	for i := range Table {
		if Table[i].Name != name {
			continue
		}
		p := &Table[i]
		old := *p
		if which == "min" {
			p.Min = num(v)
		} else {
			p.Max = num(v)
		}
		return func() { Table[i] = old }
	}
	return func() {}
}
