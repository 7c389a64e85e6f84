package train

import (
	"math/rand/v2"
	"testing"

	"github.com/anila-ebm/anila/anila/nn"
)

// TestTrainClassifierLearns trains the feature net on a synthetic three-class image task
// (a bright bar at the top, middle or bottom of noisy 8×8 images) and requires held-out
// accuracy above 95%; the same seed gives the same parameters.
func TestTrainClassifierLearns(t *testing.T) {
	make3 := func(n int, seed uint64) ([]float32, []int) {
		rng := rand.New(rand.NewPCG(seed, 9))
		x, y := make([]float32, n*64), make([]int, n)
		for k := 0; k < n; k++ {
			y[k] = rng.IntN(3)
			for i := 0; i < 64; i++ {
				v := 0.5 * rng.NormFloat64()
				if i/8 >= 1+3*y[k] && i/8 < 3+3*y[k] {
					v += 1
				}
				x[k*64+i] = float32(v)
			}
		}
		return x, y
	}
	x, y := make3(600, 1)
	tx, ty := make3(300, 2)
	run := func() ([]float32, float64) {
		net, _, err := nn.BuildFeatureNet[float32](1, 8, 8, 3)
		if err != nil {
			t.Fatal(err)
		}
		p := make([]float32, net.NumParams())
		net.Init(p, rand.New(rand.NewPCG(5, 6)))
		c := nn.NewClassifier(net, p)
		cfg := ClassifierConfig{Epochs: 4, BatchSize: 32, LR: 1e-3, Seed: 3}
		hist, err := TrainClassifier(c, x, y, 600, cfg, nil, nil)
		if err != nil || len(hist) != 4 || !(hist[3].Loss < hist[0].Loss) {
			t.Fatalf("history %v, err %v", hist, err)
		}
		_, acc, err := c.LossGrad(tx, ty, 300, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p, acc
	}
	p1, acc := run()
	if acc < 0.95 {
		t.Fatalf("held-out accuracy %.3f", acc)
	}
	p2, _ := run()
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("parameter %d differs between two runs with the same seed", i)
		}
	}
	if _, err := TrainClassifier(nn.NewClassifier(&nn.Net[float32]{}, nil), x, y, 600, ClassifierConfig{}, nil, nil); err == nil {
		t.Fatal("zero config accepted")
	}
}
