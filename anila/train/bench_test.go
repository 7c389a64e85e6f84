package train

import (
	"fmt"
	"testing"

	"github.com/anila-ebm/anila/anila/data"
	"github.com/anila-ebm/anila/anila/nn"
	"github.com/anila-ebm/anila/anila/sampler"
)

// The benchmark configuration of the issue: batch 256, a 2-128-128-1 MLP with the default
// activation (LeakyReLU).
var benchArch = nn.Arch{Kind: "mlp", In: 2, Hidden: []int{128, 128}, Activation: "leakyrelu", Slope: 0.05}

func benchConfig(m sampler.Method) Config {
	c := DefaultConfig()
	c.BatchSize = 256
	c.Sampler.Method = m
	c.Sampler.StepSize = 0.01
	c.Sampler.Threshold = 0.1 // small enough that AniLA's clipping is exercised
	return c
}

func benchTrainer[T nn.Float](b *testing.B, m sampler.Method, steps int) *Trainer[T] {
	x64, _ := data.Toy("rings", 10000, 1)
	x := make([]T, len(x64))
	for i, v := range x64 {
		x[i] = T(v)
	}
	c := benchConfig(m)
	c.Steps = steps
	tr, err := New[T](c, benchArch, x, 10000)
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

func benchStep[T nn.Float](b *testing.B, m sampler.Method) {
	tr := benchTrainer[T](b, m, 1)
	st := tr.state
	tr.uniform(st.X)
	tr.smp.Init(st)
	tr.smp.Step(tr.src, st)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.smp.Step(tr.src, st)
	}
}

func benchIteration[T nn.Float](b *testing.B, m sampler.Method) {
	tr := benchTrainer[T](b, m, 100)
	tr.Run(1, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Run(1, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLangevinStep is one Langevin step of 256 chains on the MLP energy.
func BenchmarkLangevinStep(b *testing.B) {
	for _, m := range []sampler.Method{sampler.SGLD, sampler.AniLA} {
		b.Run(fmt.Sprintf("%v/float32", m), func(b *testing.B) { benchStep[float32](b, m) })
		b.Run(fmt.Sprintf("%v/float64", m), func(b *testing.B) { benchStep[float64](b, m) })
	}
}

// BenchmarkTrainIteration is one training iteration with K = 100 Langevin steps.
func BenchmarkTrainIteration(b *testing.B) {
	for _, m := range []sampler.Method{sampler.SGLD, sampler.AniLA} {
		b.Run(fmt.Sprintf("%v/float32", m), func(b *testing.B) { benchIteration[float32](b, m) })
		b.Run(fmt.Sprintf("%v/float64", m), func(b *testing.B) { benchIteration[float64](b, m) })
	}
}
