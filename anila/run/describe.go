package run

import (
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/train"
)

// Describe gives a model's settings by their table names, read from what its file holds
// (the net, the trainer's configuration and the run's plan): the resolved values, so that
// step_size and threshold are in data units and lr is the current learning rate (halved by
// each recovery). A trainer without a plan (made by Go code, or a file of an old format
// without a readable note) reports the configuration's seed and boxes.
func Describe(a nn.Arch, c train.Config, dtype string, plan *train.Plan) map[string]any {
	p := plan
	if p == nil {
		p = &train.Plan{Seed: c.Seed, BufferSize: c.BufferSize, JumpWidth: 0}
		if c.Sampler.Lo < c.Sampler.Hi {
			p.Clamp = []float64{c.Sampler.Lo, c.Sampler.Hi}
		}
		p.NoiseBox = []float64{c.NoiseLo, c.NoiseHi}
		p.Standardize = a.InScale > 0
	}
	lrDecay := "none"
	if c.LRDecay > 0 {
		lrDecay = "cosine"
	}
	out := map[string]any{
		"energy": a.Kind, "layers": nil, "hidden": a.Hidden, "nf": a.NF, "standardize": p.Standardize,
		"activation": a.Activation, "slope": a.Slope,
		"sampler": c.Sampler.Method.String(), "adjusted": c.Sampler.Adjusted, "steps": c.Steps,
		"step_size": c.Sampler.StepSize, "threshold": c.Sampler.Threshold, "threshold_quantile": c.ThresholdQuantile,
		"noise_scale": c.Sampler.NoiseScale, "anisotropy": c.Sampler.Anisotropy.String(), "channels": c.Sampler.Channels,
		"leapfrog": leapfrogOf(c.Sampler), "mass": c.Sampler.Mass.String(),
		"clamp": p.Clamp, "noise_box": p.NoiseBox, "init": c.Init.String(), "buffer_size": p.BufferSize,
		"reinit": c.Reinit, "jump": c.Jump, "jump_width": p.JumpWidth, "ema": c.EMA, "iterations": p.Iterations,
		"batch_size": c.BatchSize, "lr": c.LR, "lr_decay": lrDecay, "lr_floor": c.LRFloor,
		"betas": []float64{c.Beta1, c.Beta2}, "momentum": c.Momentum, "optimizer": c.Optimizer.String(),
		"l2": c.L2, "data_noise": c.DataNoise, "grad_clip": c.GradClip, "data_init": c.DataInit,
		"recover": c.Recover, "dtype": dtype, "seed": p.Seed,
	}
	if a.Kind == "layers" {
		out["layers"] = a.Layers
	}
	if a.Kind != "mlp" {
		out["hidden"] = nil
	}
	if a.NF == 0 {
		out["nf"] = nil // not a conv preset: the setting does not apply
	}
	if p.BufferSize == 0 {
		out["buffer_size"] = c.BufferSize
	}
	return out
}
