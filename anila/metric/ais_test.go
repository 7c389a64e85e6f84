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

// TestAISBracketCoverage repeats a short AIS run (forward from a mis-fitted base, reverse
// from exact draws) 100 times: the bracket [forward − 2 s.e., reverse + 2 s.e.] holds the
// truth in at least 95 of them. (The two estimates are bounds in expectation only: with few
// chains each lands on the wrong side of the truth about as often as their bias is smaller
// than their noise, so the bracket a user reads carries each side's standard error.)
func TestAISBracketCoverage(t *testing.T) {
	d := 10
	e := shiftedGaussian{mean: make([]float64, d), vars: logSpaced(d, 10), c: 2.5}
	base := DiagGaussian{Mean: make([]float64, d), Std: make([]float64, d)}
	for j := range base.Std {
		base.Mean[j], base.Std[j] = 0.5, 2
	}
	const runs = 100
	held, width := 0, 0.0
	for r := 0; r < runs; r++ {
		cfg := AISConfig{Distributions: 30, Chains: 16, Transition: mala(0.3), Steps: 1, Temperature: 1, Seed: uint64(2 * r)}
		fwd, err := AIS(e, base, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Seed++
		rev, err := AIS(e, base, cfg, exactDraws(e, d, cfg.Chains, uint64(1000+r)))
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := fwd.LogZ-2*fwd.StdErr, rev.LogZ+2*rev.StdErr
		if lo <= e.c && e.c <= hi {
			held++
		}
		width += hi - lo
	}
	t.Logf("the bracket held the truth in %d of %d runs; mean width %.3f nat", held, runs, width/runs)
	if held < 95 {
		t.Errorf("the bracket held the truth in %d of %d runs, want >= 95", held, runs)
	}
}

// TestAISTightensWithDistributions: the bracket's width, [forward − 2 s.e., reverse + 2
// s.e.] (mean over seeds), falls as distributions are added, and the estimates close in on
// the truth.
func TestAISTightensWithDistributions(t *testing.T) {
	d := 20
	e := shiftedGaussian{mean: make([]float64, d), vars: logSpaced(d, 30), c: -4}
	base := DiagGaussian{Mean: make([]float64, d), Std: make([]float64, d)}
	for j := range base.Std {
		base.Mean[j], base.Std[j] = -0.5, 3
	}
	prev := math.Inf(1)
	for _, k := range []int{5, 30, 200, 1000} {
		width, errSum := 0.0, 0.0
		const seeds = 4
		for s := 0; s < seeds; s++ {
			cfg := AISConfig{Distributions: k, Chains: 128, Transition: mala(0.3), Steps: 1, Temperature: 1, Seed: uint64(10*k + s)}
			fwd, err := AIS(e, base, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Seed += 5
			rev, err := AIS(e, base, cfg, exactDraws(e, d, cfg.Chains, uint64(77+s)))
			if err != nil {
				t.Fatal(err)
			}
			width += (rev.LogZ + 2*rev.StdErr - fwd.LogZ + 2*fwd.StdErr) / seeds
			errSum += math.Abs((fwd.LogZ+rev.LogZ)/2-e.c) / seeds
		}
		t.Logf("K = %4d: mean width %.3f nat, mean |midpoint − truth| %.3f", k, width, errSum)
		if !(width < prev) {
			t.Errorf("K = %d: width %.3f did not fall below %.3f", k, width, prev)
		}
		prev = width
		if k == 1000 && (width > 0.25 || errSum > 0.05) {
			t.Errorf("K = 1000: width %.3f, error %.3f; want <= 0.25 and <= 0.05", width, errSum)
		}
	}
}

// TestAISRunAdvancesInPieces: a run advanced in pieces gives the bits of one whole run.
func TestAISRunAdvancesInPieces(t *testing.T) {
	e := shiftedGaussian{mean: []float64{1, 2, 3}, vars: []float64{1, 2, 3}, c: 0}
	base, err := FitDiagGaussian(exactDraws(e, 3, 50, 9), 50, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg := AISConfig{Distributions: 57, Chains: 8, Transition: mala(0.3), Steps: 2, Temperature: 1, Seed: 4}
	whole, err := AIS(e, base, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewAIS(e, base, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 10, 3, 100} {
		r.Advance(k)
	}
	if r.Remaining() != 0 {
		t.Fatalf("remaining %d", r.Remaining())
	}
	if got := r.Result(); got.LogZ != whole.LogZ || got.StdErr != whole.StdErr {
		t.Errorf("in pieces %v ± %v, whole %v ± %v", got.LogZ, got.StdErr, whole.LogZ, whole.StdErr)
	}
}

func TestFitDiagGaussianChecksAndFloors(t *testing.T) {
	if _, err := FitDiagGaussian([]float64{1, 2}, 1, 2); err == nil {
		t.Error("one point: no error")
	}
	if _, err := FitDiagGaussian([]float64{1, math.NaN(), 2, 3}, 2, 2); err == nil {
		t.Error("NaN: no error")
	}
	g, err := FitDiagGaussian([]float64{0, 1, 0, 3, 0, 5}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if g.Mean[1] != 3 || g.Std[1] != 2 || !(g.Std[0] > 0) || math.Abs(g.Std[0]-0.01*math.Sqrt(2)) > 1e-12 {
		t.Errorf("fit %+v", g)
	}
}
