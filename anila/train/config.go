package train

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/anila-ebm/anila/anila/internal/enum"
	"github.com/anila-ebm/anila/anila/sampler"
)

// ChainInit says where each iteration's Langevin chains start.
type ChainInit int

const (
	// InitNoise starts from uniform noise on the box [NoiseLo, NoiseHi] (short-run).
	InitNoise ChainInit = iota
	// InitData starts from random data points.
	InitData
	// InitBuffer starts from a persistent replay buffer, each chain reinitialised to noise
	// with probability Reinit.
	InitBuffer
)

// String is the name the Python API uses.
func (c ChainInit) String() string {
	switch c {
	case InitNoise:
		return "noise"
	case InitData:
		return "data"
	case InitBuffer:
		return "buffer"
	}
	return fmt.Sprintf("init(%d)", int(c))
}

// ParseChainInit maps "noise", "data" or "buffer" to a ChainInit.
func ParseChainInit(s string) (ChainInit, error) {
	switch s {
	case "noise":
		return InitNoise, nil
	case "data":
		return InitData, nil
	case "buffer":
		return InitBuffer, nil
	}
	return 0, fmt.Errorf("init must be \"noise\", \"data\" or \"buffer\", got %q", s)
}

// MarshalJSON stores the chain start by name.
func (c ChainInit) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// UnmarshalJSON reads a name, or the integer of format-1 model files.
func (c *ChainInit) UnmarshalJSON(b []byte) (err error) {
	*c, err = enum.Unmarshal(b, ParseChainInit, InitBuffer)
	return err
}

// Optimizer chooses the parameter update.
type Optimizer int

const (
	// Adam is Kingma and Ba's method, as torch.optim.Adam computes it.
	Adam Optimizer = iota
	// SGD is plain gradient ascent with optional momentum, as torch.optim.SGD.
	SGD
)

// String is the name the Python API uses.
func (o Optimizer) String() string {
	if o == SGD {
		return "sgd"
	}
	return "adam"
}

// ParseOptimizer maps "adam" or "sgd" to an Optimizer.
func ParseOptimizer(s string) (Optimizer, error) {
	switch s {
	case "adam":
		return Adam, nil
	case "sgd":
		return SGD, nil
	}
	return 0, fmt.Errorf("optimizer must be \"adam\" or \"sgd\", got %q", s)
}

// MarshalJSON stores the optimizer by name.
func (o Optimizer) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// UnmarshalJSON reads a name, or the integer of format-1 model files.
func (o *Optimizer) UnmarshalJSON(b []byte) (err error) {
	*o, err = enum.Unmarshal(b, ParseOptimizer, SGD)
	return err
}

// Config holds a training run's settings. It is separate from the trainer's state.
type Config struct {
	Sampler sampler.Config
	// Steps is K, the Langevin steps per iteration.
	Steps int
	// BatchSize is M, the data points and chains per iteration.
	BatchSize int
	Init      ChainInit
	// BufferSize and Reinit configure the replay buffer (InitBuffer).
	BufferSize int
	Reinit     float64
	Optimizer  Optimizer
	// LR is the learning rate; Beta1, Beta2 and Eps are Adam's; Momentum is SGD's.
	LR, Beta1, Beta2, Eps, Momentum float64
	// LRDecay, when > 0, decays the learning rate along a cosine from LR at iteration 0 to
	// LR·LRFloor at iteration LRDecay, where it then stays (LearningRate); 0 keeps LR.
	LRDecay int
	LRFloor float64
	// ThresholdQuantile, when > 0, adapts AniLA's threshold b during training: after each
	// iteration's chains, b becomes this quantile of the gradient magnitudes of the chains'
	// units (|∂f/∂z_i| per coordinate, or norms per pixel or chain; threshold.go), so that a
	// known share of units (1 − q) is clipped whatever the scale of the energy's gradients.
	// 0 keeps b fixed.
	ThresholdQuantile float64
	// Jump is the probability that a chain makes a data-driven jump after an iteration's
	// Langevin steps (jump.go); 0 turns the jumps off. JumpWidth is the proposal's sd σ
	// around data points in data units: one entry per coordinate, or one for all.
	Jump      float64
	JumpWidth []float64
	// EMA, when > 0, is the decay β of an exponential moving average of the parameters,
	// a ← β·a + (1 − β)·θ after every optimizer step (ema.go). The model's energy (sampling
	// and evaluation after training) uses the average, which smooths out the parameter noise
	// that the chains' sampling error puts into every update; training continues from θ.
	// 0 turns it off.
	EMA float64
	// L2 is α in the penalty α·(f(x)² + f(z)²).
	L2 float64
	// DataNoise is the sd of Gaussian noise added to each data batch.
	DataNoise float64
	// GradClip caps the parameter gradient's norm when > 0.
	GradClip float64
	// Recover is how many times a diverging run is rolled back to its last good state (at
	// most SnapshotEvery iterations old) and continued with half the learning rate; 0 stops
	// at the first divergence with a DivergenceError.
	Recover int
	// DataInit passes each first-layer unit's hyperplane through a random data point when
	// data is first given to an untrained trainer (nn.Net.CenterFirstLayer), so that the
	// net resolves data far from the origin.
	DataInit bool
	// NoiseLo and NoiseHi bound the uniform noise chains start (and restart) from; when
	// NoiseLo >= NoiseHi, New takes CentralBox of its data ([−1, 1] without data).
	NoiseLo, NoiseHi float64
	Seed             uint64
}

// LearningRate is the learning rate of the update that ends iteration iter+1 (iter
// iterations done): LR, or under LRDecay the cosine LR·(f + (1−f)·(1 + cos(π·iter/LRDecay))/2)
// with f = LRFloor, held at LR·f from iteration LRDecay on.
func (c *Config) LearningRate(iter int) float64 {
	if c.LRDecay <= 0 {
		return c.LR
	}
	u := math.Min(float64(iter)/float64(c.LRDecay), 1)
	return c.LR * (c.LRFloor + (1-c.LRFloor)*0.5*(1+math.Cos(math.Pi*u)))
}

func finiteNonNeg(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%s must be a finite number >= 0, got %v", name, v)
	}
	return nil
}

// Validate reports the first bad setting by its Python name and value.
func (c Config) Validate(dim int) error {
	if err := c.Sampler.Validate(dim); err != nil {
		return err
	}
	if c.Steps < 1 {
		return fmt.Errorf("steps must be >= 1, got %d", c.Steps)
	}
	if c.BatchSize < 1 {
		return fmt.Errorf("batch_size must be >= 1, got %d", c.BatchSize)
	}
	if c.Init < InitNoise || c.Init > InitBuffer {
		return fmt.Errorf("init must be \"noise\", \"data\" or \"buffer\", got %v", c.Init)
	}
	if c.Init == InitBuffer && c.BufferSize < c.BatchSize {
		return fmt.Errorf("buffer_size must be >= batch_size (%d), got %d", c.BatchSize, c.BufferSize)
	}
	if math.IsNaN(c.Reinit) || c.Reinit < 0 || c.Reinit > 1 {
		return fmt.Errorf("reinit must be in [0, 1], got %v", c.Reinit)
	}
	if math.IsNaN(c.EMA) || c.EMA < 0 || c.EMA >= 1 {
		return fmt.Errorf("ema must be in [0, 1), got %v", c.EMA)
	}
	if math.IsNaN(c.ThresholdQuantile) || c.ThresholdQuantile < 0 || c.ThresholdQuantile >= 1 {
		return fmt.Errorf("threshold_quantile must be in [0, 1), got %v", c.ThresholdQuantile)
	}
	if math.IsNaN(c.Jump) || c.Jump < 0 || c.Jump > 1 {
		return fmt.Errorf("jump must be in [0, 1], got %v", c.Jump)
	}
	if c.Jump > 0 {
		if len(c.JumpWidth) != 1 && len(c.JumpWidth) != dim {
			return fmt.Errorf("jump_width must have 1 or %d entries, got %d", dim, len(c.JumpWidth))
		}
		for _, w := range c.JumpWidth {
			if !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("jump_width must be finite and > 0 with jump > 0, got %v", c.JumpWidth)
			}
		}
	}
	if c.LRDecay < 0 {
		return fmt.Errorf("lr_decay iterations must be >= 0, got %d", c.LRDecay)
	}
	if math.IsNaN(c.LRFloor) || c.LRFloor < 0 || c.LRFloor > 1 {
		return fmt.Errorf("lr_floor must be in [0, 1], got %v", c.LRFloor)
	}
	if c.Recover < 0 {
		return fmt.Errorf("recover must be >= 0, got %d", c.Recover)
	}
	if c.Optimizer != Adam && c.Optimizer != SGD {
		return fmt.Errorf("optimizer must be \"adam\" or \"sgd\", got %v", c.Optimizer)
	}
	if math.IsNaN(c.LR) || math.IsInf(c.LR, 0) || c.LR <= 0 {
		return fmt.Errorf("lr must be a finite positive number, got %v", c.LR)
	}
	for _, b := range []struct {
		name string
		v    float64
	}{{"beta1", c.Beta1}, {"beta2", c.Beta2}, {"momentum", c.Momentum}} {
		if math.IsNaN(b.v) || b.v < 0 || b.v >= 1 {
			return fmt.Errorf("%s must be in [0, 1), got %v", b.name, b.v)
		}
	}
	if math.IsNaN(c.Eps) || math.IsInf(c.Eps, 0) || c.Eps <= 0 {
		return fmt.Errorf("eps must be a finite positive number, got %v", c.Eps)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"l2", c.L2}, {"data_noise", c.DataNoise}, {"grad_clip", c.GradClip}} {
		if err := finiteNonNeg(f.name, f.v); err != nil {
			return err
		}
	}
	if math.IsNaN(c.NoiseLo) || math.IsNaN(c.NoiseHi) || math.IsInf(c.NoiseLo, 0) || math.IsInf(c.NoiseHi, 0) {
		return fmt.Errorf("noise box must be finite, got (%v, %v)", c.NoiseLo, c.NoiseHi)
	}
	return nil
}
