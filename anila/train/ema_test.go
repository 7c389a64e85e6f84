package train

import (
	"math"
	"strings"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
)

func emaTrainer(t *testing.T, ema float64) *Trainer[float64] {
	t.Helper()
	x, err := data.Toy("8gaussians", 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := referenceConfig()
	c.EMA, c.BufferSize, c.BatchSize, c.Steps, c.Seed = ema, 500, 32, 5, 3
	tr, err := New[float64](c, nn.Arch{Kind: "mlp", In: 2, Hidden: []int{16, 16}, Activation: "silu"}, x, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestMovingAverage trains one iteration at a time and checks the average against the
// recurrence a ← β'a + (1 − β')θ, β' = min(β, (1+n)/(10+n)), computed here from the
// parameters after each iteration; that the average leaves training's own trajectory
// unchanged; that ModelParams is the average; and that a checkpoint carries it.
func TestMovingAverage(t *testing.T) {
	const beta = 0.9
	tr := emaTrainer(t, beta)
	plain := emaTrainer(t, 0)
	if plain.Average != nil || &plain.ModelParams()[0] != &plain.Params[0] {
		t.Fatal("ema = 0 keeps an average or does not use the parameters")
	}
	want := append([]float64(nil), tr.Params...)
	for n := 0; n < 40; n++ {
		for _, r := range []*Trainer[float64]{tr, plain} {
			if _, err := r.Run(1, nil); err != nil {
				t.Fatal(err)
			}
		}
		b := math.Min(beta, (1+float64(n))/(10+float64(n)))
		for i, p := range tr.Params {
			want[i] = b*want[i] + (1-b)*p
		}
	}
	maxDiff, moved := 0.0, 0.0
	for i := range want {
		maxDiff = math.Max(maxDiff, math.Abs(tr.Average[i]-want[i]))
		moved = math.Max(moved, math.Abs(tr.Average[i]-tr.Params[i]))
		if tr.Params[i] != plain.Params[i] {
			t.Fatalf("the average changed training: parameter %d is %v, %v without it", i, tr.Params[i], plain.Params[i])
		}
	}
	if maxDiff > 1e-12 {
		t.Errorf("average differs from the recurrence by %g", maxDiff)
	}
	if moved == 0 {
		t.Error("the average equals the last iterate")
	}
	if &tr.ModelParams()[0] != &tr.Average[0] {
		t.Error("ModelParams is not the average")
	}
	b, err := tr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal[float64](b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tr.Average {
		if back.Average[i] != tr.Average[i] || back.Params[i] != tr.Params[i] {
			t.Fatalf("checkpoint lost the average or the parameters at %d", i)
		}
	}
}

// TestMovingAverageValidated checks that ema outside [0, 1) is refused by name.
func TestMovingAverageValidated(t *testing.T) {
	for _, v := range []float64{-0.1, 1, math.NaN()} {
		c := referenceConfig()
		c.EMA = v
		if err := c.Validate(2); err == nil || !strings.Contains(err.Error(), "ema must be in [0, 1)") {
			t.Errorf("ema %v: error %v", v, err)
		}
	}
}
