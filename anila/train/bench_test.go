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
	c := referenceConfig()
	c.BatchSize = 256
	c.Sampler.Method = m
	c.Sampler.StepSize = 0.01
	c.Sampler.Threshold = 0.1 // small enough that AniLA's clipping is exercised
	return c
}

func benchTrainer[T nn.Float](b *testing.B, m sampler.Method, steps int) *Trainer[T] {
	return benchTrainerArch[T](b, m, steps, benchArch)
}

func benchTrainerArch[T nn.Float](b *testing.B, m sampler.Method, steps int, arch nn.Arch) *Trainer[T] {
	x64, _ := data.Toy("rings", 10000, 1)
	x := make([]T, len(x64))
	for i, v := range x64 {
		x[i] = T(v)
	}
	c := benchConfig(m)
	c.Steps = steps
	tr, err := New[T](c, arch, x, 10000)
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

func benchStep[T nn.Float](b *testing.B, m sampler.Method) {
	benchStepArch[T](b, m, benchArch)
}

func benchStepArch[T nn.Float](b *testing.B, m sampler.Method, arch nn.Arch) {
	tr := benchTrainerArch[T](b, m, 1, arch)
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

// BenchmarkLangevinStepActivation is BenchmarkLangevinStep's SGLD step with each activation.
func BenchmarkLangevinStepActivation(b *testing.B) {
	for _, act := range []string{"leakyrelu", "silu", "tanh", "elu", "softplus", "gelu"} {
		arch := benchArch
		arch.Activation = act
		b.Run(act+"/float32", func(b *testing.B) { benchStepArch[float32](b, sampler.SGLD, arch) })
		b.Run(act+"/float64", func(b *testing.B) { benchStepArch[float64](b, sampler.SGLD, arch) })
	}
}
