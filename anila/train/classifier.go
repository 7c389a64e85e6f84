package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/anila-ebm/anila/anila/nn"
)

// ClassifierConfig sets how TrainClassifier fits a classifier: epochs over the data in
// shuffled mini-batches, Adam with learning rate LR (betas 0.9, 0.999), shuffling from Seed.
type ClassifierConfig struct {
	Epochs    int
	BatchSize int
	LR        float64
	Seed      uint64
}

// DefaultClassifierConfig is what the FID feature net is trained with.
func DefaultClassifierConfig() ClassifierConfig {
	return ClassifierConfig{Epochs: 3, BatchSize: 128, LR: 1e-3, Seed: 1}
}

// ClassifierEpoch records one epoch of TrainClassifier: mean training loss and accuracy.
type ClassifierEpoch struct {
	Loss, Accuracy float64
}

// TrainClassifier fits c's parameters to the n rows of x with labels by softmax
// cross-entropy. It calls report (when not nil) after each epoch and stops after the current
// batch when stop is set. A NaN loss is an error.
func TrainClassifier[T nn.Float](c *nn.Classifier[T], x []T, labels []int, n int, cfg ClassifierConfig,
	report func(epoch int, e ClassifierEpoch), stop *atomic.Bool) ([]ClassifierEpoch, error) {
	if cfg.Epochs < 1 || cfg.BatchSize < 1 || !(cfg.LR > 0) {
		return nil, fmt.Errorf("train: classifier needs epochs, batch size and lr > 0, got %d, %d, %g", cfg.Epochs, cfg.BatchSize, cfg.LR)
	}
	d := c.Net.InSize()
	if n < 1 || len(x) < n*d || len(labels) < n {
		return nil, fmt.Errorf("train: classifier data of %d rows with %d values and %d labels", n, len(x), len(labels))
	}
	opt := Config{Optimizer: Adam, LR: cfg.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	st := optState{M: make([]float64, len(c.Params)), V: make([]float64, len(c.Params))}
	grad := make([]T, len(c.Params))
	bs := min(cfg.BatchSize, n)
	bx, by := make([]T, bs*d), make([]int, bs)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xc1a55))
	perm := make([]int, n)
	var out []ClassifierEpoch
	for ep := 0; ep < cfg.Epochs; ep++ {
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var sumLoss, sumAcc float64
		batches := 0
		for lo := 0; lo+bs <= n; lo += bs {
			if stop != nil && stop.Load() {
				return out, nil
			}
			for k, j := range perm[lo : lo+bs] {
				copy(bx[k*d:(k+1)*d], x[j*d:(j+1)*d])
				by[k] = labels[j]
			}
			clear(grad)
			loss, acc, err := c.LossGrad(bx, by, bs, grad)
			if err != nil {
				return out, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return out, fmt.Errorf("train: classifier loss became %v in epoch %d", loss, ep+1)
			}
			update(&opt, &st, opt.LR, c.Params, grad)
			sumLoss += loss
			sumAcc += acc
			batches++
		}
		e := ClassifierEpoch{Loss: sumLoss / float64(batches), Accuracy: sumAcc / float64(batches)}
		out = append(out, e)
		if report != nil {
			report(ep+1, e)
		}
	}
	return out, nil
}
