package metric

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/anila-ebm/anila/anila/sampler"
)

// shiftedGaussian is N(mean, diag(vars)) unnormalised by c: f = log N + c, so log Z = c.
type shiftedGaussian struct {
	mean, vars []float64
	c          float64
}

func (g shiftedGaussian) Dim() int { return len(g.mean) }
func (g shiftedGaussian) EnergyGrad(x []float64, n int, f, gr []float64) {
	d := len(g.mean)
	norm := 0.0
	for _, v := range g.vars {
		norm -= 0.5 * math.Log(2*math.Pi*v)
	}
	for k := 0; k < n; k++ {
		s := norm + g.c
		for j := 0; j < d; j++ {
			r := x[k*d+j] - g.mean[j]
			s -= r * r / (2 * g.vars[j])
			gr[k*d+j] = -r / g.vars[j]
		}
		f[k] = s
	}
}

// mixture2 is an equal mixture of two unit Gaussians at ±a on the first axis, plus c.
type mixture2 struct {
	d    int
	a, c float64
}

func (m mixture2) Dim() int { return m.d }
func (m mixture2) EnergyGrad(x []float64, n int, f, g []float64) {
	d := m.d
	for k := 0; k < n; k++ {
		row := x[k*d : (k+1)*d]
		rest := 0.0
		for j := 1; j < d; j++ {
			rest += row[j] * row[j]
		}
		l1 := -0.5 * ((row[0]-m.a)*(row[0]-m.a) + rest)
		l2 := -0.5 * ((row[0]+m.a)*(row[0]+m.a) + rest)
		mx := math.Max(l1, l2)
		w1, w2 := math.Exp(l1-mx), math.Exp(l2-mx)
		f[k] = mx + math.Log((w1+w2)/2) - 0.5*float64(d)*math.Log(2*math.Pi) + m.c
		p1 := w1 / (w1 + w2)
		g[k*d] = -(row[0] - m.a*(2*p1-1))
		for j := 1; j < d; j++ {
			g[k*d+j] = -row[j]
		}
	}
}

func mala(step float64) sampler.Config {
	return sampler.Config{Method: sampler.SGLD, StepSize: step, NoiseScale: 1, Adjusted: true, Channels: 1}
}

func TestAISBracketsKnownLogZ(t *testing.T) {
	for _, c := range []struct {
		name string
		d    int
		e    sampler.Energy[float64]
		tr   sampler.Config
	}{
		{"gaussian-d2", 2, shiftedGaussian{[]float64{1, -1}, []float64{0.5, 2}, 3.0}, mala(0.1)},
		{"gaussian-d50", 50, shiftedGaussian{make([]float64, 50), logSpaced(50, 10), -7.0}, mala(0.1)},
		{"gaussian-d784", 784, shiftedGaussian{make([]float64, 784), logSpaced(784, 4), 11.0},
			sampler.Config{Method: sampler.HMC, StepSize: 0.1, Leapfrog: 5, NoiseScale: 1, Channels: 1}},
		{"mixture-d10", 10, mixture2{10, 3, 2.0}, mala(0.2)},
	} {
		t.Run(c.name, func(t *testing.T) {
			truth := 0.0
			switch e := c.e.(type) {
			case shiftedGaussian:
				truth = e.c
			case mixture2:
				truth = e.c
			}
			d := c.d
			// the base: a Gaussian of the wrong width and centre, as a data fit would be
			base := DiagGaussian{Mean: make([]float64, d), Std: make([]float64, d)}
			for j := range base.Std {
				base.Mean[j] = 0.3
				base.Std[j] = 1.5
			}
			cfg := AISConfig{Distributions: 200, Chains: 64, Transition: c.tr, Steps: 2, Temperature: 1, Seed: 1}
			fwd, err := AIS(c.e, base, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			// reverse from exact draws of the target
			starts := exactDraws(c.e, d, cfg.Chains, 2)
			cfg.Seed = 2
			rev, err := AIS(c.e, base, cfg, starts)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("truth %.3f: forward %.3f ± %.3f (ESS %.1f, accept %.2f), reverse %.3f ± %.3f (ESS %.1f)",
				truth, fwd.LogZ, fwd.StdErr, fwd.ESS, fwd.Accept, rev.LogZ, rev.StdErr, rev.ESS)
			if fwd.LogZ > truth+3*fwd.StdErr+0.02 || rev.LogZ < truth-3*rev.StdErr-0.02 {
				t.Errorf("the bracket [%.3f, %.3f] misses the truth %.3f", fwd.LogZ, rev.LogZ, truth)
			}
			if rev.LogZ-fwd.LogZ > 1 {
				t.Errorf("the bracket [%.3f, %.3f] is wider than 1 nat", fwd.LogZ, rev.LogZ)
			}
		})
	}
}

// exactDraws draws n points of the test targets exactly.
func exactDraws(e sampler.Energy[float64], d, n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float64, n*d)
	switch t := e.(type) {
	case shiftedGaussian:
		for i := range x {
			x[i] = t.mean[i%d] + math.Sqrt(t.vars[i%d])*r.NormFloat64()
		}
	case mixture2:
		for k := 0; k < n; k++ {
			for j := 0; j < d; j++ {
				x[k*d+j] = r.NormFloat64()
			}
			if r.IntN(2) == 0 {
				x[k*d] += t.a
			} else {
				x[k*d] -= t.a
			}
		}
	}
	return x
}

func logSpaced(d int, kappa float64) []float64 {
	v := make([]float64, d)
	for j := range v {
		v[j] = math.Pow(kappa, float64(j)/float64(max(d-1, 1)))
	}
	return v
}
