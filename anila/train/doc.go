// Package train holds the maximum-likelihood loop of an energy-based model: per iteration,
// Langevin chains start (from noise, data or a persistent replay buffer) and run K steps,
// then the parameters ascend mean f(data) − mean f(samples) with Adam or SGD.
//
// Files: config.go (Config, defaults, validation), optimizer.go (Adam and SGD),
// history.go (the per-iteration record), trainer.go (the loop), jump.go (data-driven
// Metropolis–Hastings jumps that let persistent chains change modes), threshold.go (AniLA's
// threshold adapted to a quantile of the gradient magnitudes), ema.go (the moving average of
// the parameters that the trained model uses), undo.go (undoing a diverged or stopped
// iteration whole), snapshot.go (the state Config.Recover rolls back to), checkpoint.go
// (saving and loading a trainer whole, atomically, with a format version and a checksum)
// and umask_*.go (the mode saved files get).
package train
