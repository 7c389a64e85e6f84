package capi

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
	"github.com/anila-ebm/anila/anila/train"
)

// SamplerOptions configures a Langevin sampler; see anila/sampler.Config.
type SamplerOptions struct {
	// Sampler is "sgld" or "anila".
	Sampler string
	// Adjusted adds a Metropolis-Hastings correction (MALA).
	Adjusted bool
	// StepSize is η, Threshold is AniLA's b, NoiseScale is ε.
	StepSize, Threshold, NoiseScale float64
	// Anisotropy is "coordinate", "pixel" or "chain".
	Anisotropy string
	// Channels is the number of channels of an image sample, for "pixel".
	Channels int
	// ClampLo and ClampHi bound the samples when ClampLo < ClampHi.
	ClampLo, ClampHi float64
}

// DefaultSamplerOptions are the sampler settings of train.DefaultConfig (the toy defaults),
// per coordinate, with no clamp.
func DefaultSamplerOptions() SamplerOptions {
	c := train.DefaultConfig().Sampler
	return SamplerOptions{Sampler: c.Method.String(), StepSize: c.StepSize, Threshold: c.Threshold,
		NoiseScale: c.NoiseScale, Anisotropy: c.Anisotropy.String(), Channels: 1}
}

func (o SamplerOptions) config() (sampler.Config, error) {
	m, err := sampler.ParseMethod(o.Sampler)
	if err != nil {
		return sampler.Config{}, err
	}
	a, err := sampler.ParseAnisotropy(o.Anisotropy)
	if err != nil {
		return sampler.Config{}, err
	}
	ch := o.Channels
	if ch == 0 {
		ch = 1
	}
	return sampler.Config{Method: m, Adjusted: o.Adjusted, StepSize: o.StepSize, Threshold: o.Threshold,
		NoiseScale: o.NoiseScale, Anisotropy: a, Channels: ch, Lo: o.ClampLo, Hi: o.ClampHi}, nil
}

// Options configures an energy model and its training; see anila/train.Config.
type Options struct {
	// Energy is the architecture: a preset ("mlp", "convnet" or "vanilla") or "layers",
	// whose layers Layers gives.
	Energy string
	// Layers is the JSON list of layer specs (nn.LayerSpec) of an Energy "layers" net.
	Layers string
	// Channels, Height and Width give the image shape of the conv families (Dim is then
	// their product); NF is their base channel count.
	Channels, Height, Width, NF int
	// Dim is the data dimension.
	Dim int
	// Hidden are the hidden layer widths.
	Hidden []int
	// InShift and InScale, when InScale > 0, make an MLP see (x − InShift)/InScale: the
	// Python package sets them from the training data (nn.Net.SetInputStandardization).
	InShift []float64
	InScale float64
	// Activation is "silu", "swish", "leakyrelu", "tanh", "elu", "softplus" or "gelu"; Slope
	// is LeakyReLU's.
	Activation string
	Slope      float64
	// Dtype is "float32" or "float64".
	Dtype string
	// Steps is K, the Langevin steps per iteration; BatchSize is M.
	Steps, BatchSize int
	// Init is "noise", "data" or "buffer"; BufferSize and Reinit configure the buffer.
	Init       string
	BufferSize int
	Reinit     float64
	// Optimizer is "adam" or "sgd".
	Optimizer                       string
	LR, Beta1, Beta2, Eps, Momentum float64
	// LRDecay is the iterations of the learning rate's cosine decay to LR·LRFloor (0: none).
	LRDecay int
	LRFloor float64
	// Jump is the probability of a data-driven jump per chain and iteration; JumpWidth its
	// proposal's sd around data points (data units), per coordinate or one for all.
	Jump      float64
	JumpWidth []float64
	// ThresholdQuantile adapts AniLA's b to this quantile of |∂f/∂z_i| (0: b fixed).
	ThresholdQuantile float64
	// EMA is the decay of the parameters' moving average that the model's energy uses (0: none).
	EMA float64
	// L2 is the energy penalty α; DataNoise the sd added to data; GradClip the norm cap.
	L2, DataNoise, GradClip float64
	// NoiseLo and NoiseHi bound the uniform noise chains start from (data range if Lo >= Hi).
	NoiseLo, NoiseHi float64
	// DataInit passes the first layer's hyperplanes through random data points at the start.
	DataInit bool
	// Recover is how many divergences are rolled back (halving the learning rate) before
	// training stops with an error.
	Recover int
	// Seed seeds every random draw of the run.
	Seed int64
}

// DefaultOptions is a 2-128-128-1 LeakyReLU MLP in float32 with train.DefaultConfig's settings.
func DefaultOptions() Options {
	c := train.DefaultConfig()
	return Options{Energy: "mlp", Dim: 2, Hidden: []int{128, 128}, Activation: "leakyrelu", Slope: 0.05,
		Dtype: "float32", Steps: c.Steps, BatchSize: c.BatchSize, Init: c.Init.String(),
		BufferSize: c.BufferSize, Reinit: c.Reinit, Optimizer: c.Optimizer.String(), LR: c.LR, LRDecay: c.LRDecay, LRFloor: c.LRFloor,
		Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Eps, Momentum: c.Momentum, L2: c.L2,
		DataNoise: c.DataNoise, GradClip: c.GradClip, DataInit: c.DataInit}
}

func (o Options) arch() (nn.Arch, error) {
	if o.Energy != "mlp" && o.Energy != "convnet" && o.Energy != "vanilla" && o.Energy != "layers" {
		return nn.Arch{}, fmt.Errorf("energy must be \"mlp\", \"convnet\", \"vanilla\" or \"layers\", got %q", o.Energy)
	}
	if o.Dim < 1 {
		return nn.Arch{}, fmt.Errorf("dim must be >= 1, got %d", o.Dim)
	}
	if o.Energy == "layers" {
		var specs []nn.LayerSpec
		dec := json.NewDecoder(strings.NewReader(o.Layers))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&specs); err != nil {
			return nn.Arch{}, fmt.Errorf("layers must be a JSON list of layer specs: %v", err)
		}
		a := nn.Arch{Kind: "layers", In: o.Dim, Channels: o.Channels, Height: o.Height, Width: o.Width, Layers: specs}
		if _, err := nn.Build[float32](a); err != nil {
			return nn.Arch{}, err
		}
		return a, nil
	}
	if math.IsNaN(o.Slope) || math.IsInf(o.Slope, 0) {
		return nn.Arch{}, fmt.Errorf("slope must be finite, got %v", o.Slope)
	}
	if o.Energy != "mlp" {
		a := nn.Arch{Kind: o.Energy, In: o.Dim, Activation: "leakyrelu", Slope: o.Slope,
			Channels: o.Channels, Height: o.Height, Width: o.Width, NF: o.NF}
		if o.NF < 1 || o.NF > 4096 {
			return nn.Arch{}, fmt.Errorf("nf must be in [1, 4096], got %d", o.NF)
		}
		if _, err := nn.Build[float32](a); err != nil {
			return nn.Arch{}, err
		}
		return a, nil
	}
	for i, h := range o.Hidden {
		if h < 1 || h > 1<<16 {
			return nn.Arch{}, fmt.Errorf("hidden[%d] must be in [1, 65536], got %d", i, h)
		}
	}
	if _, err := nn.ParseActivation(o.Activation); err != nil {
		return nn.Arch{}, fmt.Errorf("activation must be one of silu, swish, leakyrelu, tanh, elu, softplus, gelu; got %q", o.Activation)
	}
	a := nn.Arch{Kind: o.Energy, In: o.Dim, Hidden: append([]int(nil), o.Hidden...), Activation: o.Activation, Slope: o.Slope}
	if o.InScale != 0 {
		a.InShift, a.InScale = append([]float64(nil), o.InShift...), o.InScale
		if _, err := nn.Build[float32](a); err != nil {
			return nn.Arch{}, err
		}
	}
	return a, nil
}

func (o Options) config(s SamplerOptions) (train.Config, error) {
	sc, err := s.config()
	if err != nil {
		return train.Config{}, err
	}
	in, err := train.ParseChainInit(o.Init)
	if err != nil {
		return train.Config{}, err
	}
	opt, err := train.ParseOptimizer(o.Optimizer)
	if err != nil {
		return train.Config{}, err
	}
	return train.Config{Sampler: sc, Steps: o.Steps, BatchSize: o.BatchSize, Init: in,
		BufferSize: o.BufferSize, Reinit: o.Reinit, Optimizer: opt, LR: o.LR, LRDecay: o.LRDecay, LRFloor: o.LRFloor, ThresholdQuantile: o.ThresholdQuantile, EMA: o.EMA, Jump: o.Jump, JumpWidth: append([]float64(nil), o.JumpWidth...), Beta1: o.Beta1,
		Beta2: o.Beta2, Eps: o.Eps, Momentum: o.Momentum, L2: o.L2, DataNoise: o.DataNoise,
		GradClip: o.GradClip, NoiseLo: o.NoiseLo, NoiseHi: o.NoiseHi, DataInit: o.DataInit, Recover: o.Recover, Seed: uint64(o.Seed)}, nil
}
