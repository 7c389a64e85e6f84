package train

import "github.com/anila-ebm/anila/anila/sampler"

// referenceConfig is the fixed configuration the trainer's tests start from: AniLA with
// η = 0.005 and b = 10, K = 20, batch 128, a replay buffer of 10,000 with 5%
// reinitialisation, Adam lr 3e-3 with betas (0.9, 0.999), α = 0.1, and the first layer's
// hyperplanes passed through data points. It is a test fixture, not anila's defaults: those
// are the run table's (anila/run), and anila/run's quality test trains them.
func referenceConfig() Config {
	return Config{
		Sampler: sampler.Config{Method: sampler.AniLA, StepSize: 0.005, Threshold: 10, NoiseScale: 1, Channels: 1},
		Steps:   20, BatchSize: 128, Init: InitBuffer, BufferSize: 10000, Reinit: 0.05,
		Optimizer: Adam, LR: 3e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		L2: 0.1, DataInit: true,
	}
}
