package capi

import (
	"encoding/json"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
	"github.com/anila-ebm/anila/anila/train"
)

// Param is one parameter of the Python API's anila.train and anila.EBM: its kind, its
// default for point data and for images, its bounds or choices, and what it is for. The
// Python package validates and fills parameters from this table, so that defaults, bounds
// and choices live here only.
type Param struct {
	Name string `json:"name"`
	// Kind is "int", "float", "bool", "choice" or "other" (checked by the Python layer
	// itself: hidden widths, betas, boxes, layers).
	Kind string `json:"kind"`
	// Default is the value for point data (MLPs); ImageDefault the value for image energies.
	Default      any `json:"default"`
	ImageDefault any `json:"image_default"`
	// Min and Max bound numbers (nil: unbounded); MinOpen and MaxOpen exclude the bound.
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	MinOpen bool     `json:"min_open"`
	MaxOpen bool     `json:"max_open"`
	// Choices are the allowed names of a "choice".
	Choices []string `json:"choices"`
	Doc     string   `json:"doc"`
}

func num(v float64) *float64 { return &v }

// The Python package's defaults for point data (the MLP) where they differ from
// train.DefaultConfig, chosen by the toy-data study (docs/design.md, "Toy-data quality"):
// K = 40 Langevin steps, a data-driven jump for every chain and iteration, a moving
// average of the parameters (β = 0.99) and 6,600 iterations, with the 3×128 SiLU MLP (hidden, activation below)
// on standardised inputs. K = 40 with 6,600 iterations costs what K = 60 with 5,000 did
// and was the better of the two over the full five-seed toy protocol.
const (
	pointSteps      = 40
	pointJump       = 1.0
	pointEMA        = 0.99
	pointIterations = 6600
)

// Schema returns the parameter table as JSON (a list of Param, in the order of the docs).
func Schema() (s string, err error) {
	defer guard(&err)
	b, err := json.Marshal(params())
	return string(b), err
}

func params() []Param {
	c, im := train.DefaultConfig(), train.ImageConfig()
	var acts []string
	for _, k := range []nn.ActivationKind{nn.SiLU, nn.LeakyReLU, nn.Tanh, nn.ELU, nn.Softplus, nn.GELU} {
		acts = append(acts, k.String())
	}
	acts = append(acts, "swish")
	same := func(p Param) Param {
		if p.ImageDefault == nil {
			p.ImageDefault = p.Default
		}
		return p
	}
	ps := []Param{
		{Name: "energy", Kind: "choice", Default: "mlp", Choices: []string{"mlp", "convnet", "vanilla", "layers"},
			Doc: "the architecture: an MLP, the image ConvNets, or \"layers\" (given as anila.nn.Sequential or a torch module)"},
		{Name: "layers", Kind: "other", Doc: "the layer specs of energy=\"layers\" (set from energy=anila.nn.Sequential(...))"},
		{Name: "hidden", Kind: "other", Default: []int{128, 128, 128}, Doc: "the MLP's hidden widths"},
		{Name: "nf", Kind: "int", Default: 32, Min: num(1), Max: num(4096), Doc: "the image ConvNets' base channel count n_f"},
		{Name: "standardize", Kind: "bool", Default: true, ImageDefault: false,
			Doc: "the MLP sees its inputs standardised by the data's mean and scale; step_size and threshold are then per unit of that scale"},
		{Name: "activation", Kind: "choice", Default: "silu", Choices: acts, Doc: "the MLP's nonlinearity"},
		{Name: "slope", Kind: "float", Default: 0.05, Doc: "LeakyReLU's negative slope in the presets"},
		{Name: "sampler", Kind: "choice", Default: c.Sampler.Method.String(), Choices: sampler.RuleNames(),
			Doc: "the Langevin step rule: AniLA (per-coordinate steps) or SGLD"},
		{Name: "adjusted", Kind: "bool", Default: c.Sampler.Adjusted, Doc: "add a Metropolis-Hastings test (MALA)"},
		{Name: "steps", Kind: "int", Default: pointSteps, ImageDefault: im.Steps, Min: num(1), Max: num(1e6), Doc: "K, Langevin steps per iteration"},
		{Name: "step_size", Kind: "float", Default: c.Sampler.StepSize, ImageDefault: im.Sampler.StepSize, Min: num(0), MinOpen: true,
			Doc: "η, SGLD's step and AniLA's largest step"},
		{Name: "threshold", Kind: "float", Default: c.Sampler.Threshold, ImageDefault: im.Sampler.Threshold, Min: num(0), MinOpen: true,
			Doc: "AniLA's b: gradients below it take the full step"},
		{Name: "threshold_quantile", Kind: "float", Default: c.ThresholdQuantile, Min: num(0), Max: num(1), MaxOpen: true,
			Doc: "adapt AniLA's b during training to this quantile of |df/dz_i| over the chains (0: b fixed)"},
		{Name: "noise_scale", Kind: "float", Default: c.Sampler.NoiseScale, ImageDefault: im.Sampler.NoiseScale, Min: num(0),
			Doc: "ε, the scale of the Langevin noise (1 is exact Langevin)"},
		{Name: "anisotropy", Kind: "choice", Default: c.Sampler.Anisotropy.String(), ImageDefault: im.Sampler.Anisotropy.String(),
			Choices: []string{"coordinate", "pixel", "chain"}, Doc: "AniLA's granularity"},
		{Name: "channels", Kind: "int", Default: 1, Min: num(1), Max: num(4096), Doc: "channels of a sample, for anisotropy=\"pixel\" (set from images)"},
		{Name: "clamp", Kind: "other", Default: "auto", ImageDefault: "data", Doc: "the box samples are clamped to: \"auto\", \"data\", None or (lo, hi)"},
		{Name: "noise_box", Kind: "other", Default: "auto", Doc: "where chains start from noise: \"auto\", \"central\", \"data\" or (lo, hi)"},
		{Name: "init", Kind: "choice", Default: c.Init.String(), Choices: []string{"noise", "data", "buffer"}, Doc: "where each iteration's chains start"},
		{Name: "buffer_size", Kind: "int", Default: c.BufferSize, Min: num(1), Max: num(1 << 26), Doc: "the replay buffer's size"},
		{Name: "reinit", Kind: "float", Default: c.Reinit, Min: num(0), Max: num(1), Doc: "the probability that a buffer chain restarts from noise"},
		{Name: "jump", Kind: "float", Default: pointJump, ImageDefault: 0.0, Min: num(0), Max: num(1),
			Doc: "the probability that a chain makes a data-driven Metropolis-Hastings jump per iteration (lets chains change modes; low-dimensional data)"},
		{Name: "jump_width", Kind: "float", Default: 0.05, Min: num(0), MinOpen: true,
			Doc: "the jump proposal's sd around data points, in units of the data's standard deviation per coordinate"},
		{Name: "ema", Kind: "float", Default: pointEMA, ImageDefault: 0.0, Min: num(0), Max: num(1), MaxOpen: true,
			Doc: "the decay β of the parameters' moving average, which the trained model uses (0: the last iterate)"},
		{Name: "iterations", Kind: "int", Default: pointIterations, ImageDefault: 1000, Min: num(0), Max: num(1 << 40), Doc: "training iterations"},
		{Name: "batch_size", Kind: "int", Default: c.BatchSize, ImageDefault: im.BatchSize, Min: num(1), Max: num(1 << 20), Doc: "M, data points and chains per iteration"},
		{Name: "lr", Kind: "float", Default: c.LR, ImageDefault: im.LR, Min: num(0), MinOpen: true, Doc: "the learning rate"},
		{Name: "lr_decay", Kind: "choice", Default: "none", Choices: []string{"cosine", "none"},
			Doc: "the learning rate's schedule over the run's iterations: a cosine decay to lr·lr_floor, or none"},
		{Name: "lr_floor", Kind: "float", Default: c.LRFloor, Min: num(0), Max: num(1), Doc: "the learning rate's final fraction under lr_decay=\"cosine\""},
		{Name: "betas", Kind: "other", Default: []float64{c.Beta1, c.Beta2}, ImageDefault: []float64{im.Beta1, im.Beta2}, Doc: "Adam's betas"},
		{Name: "momentum", Kind: "float", Default: c.Momentum, Min: num(0), Max: num(1), MaxOpen: true, Doc: "SGD's momentum"},
		{Name: "optimizer", Kind: "choice", Default: c.Optimizer.String(), Choices: []string{"adam", "sgd"}, Doc: "the optimizer"},
		{Name: "l2", Kind: "float", Default: c.L2, ImageDefault: im.L2, Min: num(0), Doc: "α, the energy penalty α(f(x)² + f(z)²)"},
		{Name: "data_noise", Kind: "float", Default: c.DataNoise, ImageDefault: im.DataNoise, Min: num(0), Doc: "the sd of noise added to data points"},
		{Name: "grad_clip", Kind: "float", Default: c.GradClip, Min: num(0), Doc: "the parameter gradient's norm cap (0: none)"},
		{Name: "data_init", Kind: "bool", Default: c.DataInit, ImageDefault: im.DataInit, Doc: "pass the first layer's hyperplanes through data points"},
		{Name: "recover", Kind: "int", Default: c.Recover, Min: num(0), Max: num(1000), Doc: "divergences rolled back (halving the learning rate) before DivergenceError"},
		{Name: "dtype", Kind: "choice", Default: "float32", Choices: []string{"float32", "float64"}, Doc: "the element type"},
		{Name: "seed", Kind: "other", Default: 0, Doc: "seeds every random draw of the run"},
	}
	for i := range ps {
		ps[i] = same(ps[i])
	}
	return ps
}
