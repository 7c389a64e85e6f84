package sampler_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/anila-ebm/anila/anila/energy"
	"github.com/anila-ebm/anila/anila/sampler"
)

// diagGaussian is N(mean, diag(vars)) with O(d) gradients, for tests in high dimension.
type diagGaussian struct{ mean, vars []float64 }

func (g diagGaussian) Dim() int { return len(g.mean) }
func (g diagGaussian) EnergyGrad(x []float64, n int, f, gr []float64) {
	d := len(g.mean)
	for k := 0; k < n; k++ {
		s := 0.0
		for j := 0; j < d; j++ {
			r := x[k*d+j] - g.mean[j]
			s += r * r / g.vars[j]
			gr[k*d+j] = -r / g.vars[j]
		}
		f[k] = -s / 2
	}
}

// logSpaced are d variances from 1 to kappa, spaced evenly in log.
func logSpaced(d int, kappa float64) []float64 {
	v := make([]float64, d)
	for j := range v {
		v[j] = math.Pow(kappa, float64(j)/float64(d-1))
	}
	return v
}

// rotatedCov is QΛQᵀ with Λ log-spaced from 1 to kappa and Q a random rotation.
func rotatedCov(d int, kappa float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	// Gram–Schmidt on a random matrix
	q := make([][]float64, d)
	for i := range q {
		q[i] = make([]float64, d)
		for j := range q[i] {
			q[i][j] = r.NormFloat64()
		}
		for p := 0; p < i; p++ {
			dot := 0.0
			for j := range q[i] {
				dot += q[i][j] * q[p][j]
			}
			for j := range q[i] {
				q[i][j] -= dot * q[p][j]
			}
		}
		nrm := 0.0
		for _, v := range q[i] {
			nrm += v * v
		}
		for j := range q[i] {
			q[i][j] /= math.Sqrt(nrm)
		}
	}
	lam := logSpaced(d, kappa)
	cov := make([]float64, d*d)
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			for i := 0; i < d; i++ {
				cov[a*d+b] += q[i][a] * lam[i] * q[i][b]
			}
		}
	}
	return cov
}

// checkAllMoments compares the n×d draws' means and covariances (all pairs when full, the
// variances otherwise) with the truth by z-scores of independent draws: |z| < 4.
func checkAllMoments(t *testing.T, x []float64, n, d int, mean, cov []float64, full bool) {
	t.Helper()
	m := make([]float64, d)
	for k := 0; k < n; k++ {
		for j := 0; j < d; j++ {
			m[j] += x[k*d+j] / float64(n)
		}
	}
	worst := 0.0
	for a := 0; a < d; a++ {
		z := (m[a] - mean[a]) / math.Sqrt(cov[a*d+a]/float64(n))
		worst = math.Max(worst, math.Abs(z))
		if math.Abs(z) > 4 {
			t.Errorf("mean[%d] = %.4f, want %.4f (z = %.1f)", a, m[a], mean[a], z)
		}
		for b := a; b < d; b++ {
			if !full && b != a {
				continue
			}
			c := 0.0
			for k := 0; k < n; k++ {
				c += (x[k*d+a] - m[a]) * (x[k*d+b] - m[b])
			}
			c /= float64(n - 1)
			s := cov[a*d+b]
			z := (c - s) / math.Sqrt((cov[a*d+a]*cov[b*d+b]+s*s)/float64(n))
			worst = math.Max(worst, math.Abs(z))
			if math.Abs(z) > 4 {
				t.Errorf("cov[%d][%d] = %.4f, want %.4f (z = %.1f)", a, b, c, s, z)
			}
		}
	}
	t.Logf("largest |z| %.2f", worst)
}

// warmAndRun starts n chains at N(0, I), warms them up (adapting) for warm steps, then takes
// steps more and returns the final positions and the Info averaged over the kept steps.
func warmAndRun(t *testing.T, cfg sampler.Config, e sampler.Energy[float64], tp sampler.Tempering, n, warm, steps int, seed uint64, target float64) (*sampler.Chains[float64], sampler.Info) {
	t.Helper()
	c, err := sampler.NewChains(cfg, e, n, tp)
	if err != nil {
		t.Fatal(err)
	}
	src := sampler.NewRandSource[float64](seed)
	x := make([]float64, n*e.Dim())
	src.Normal(x)
	c.SetPositions(x)
	c.Init()
	if warm > 0 {
		if err := c.StartWarmup(sampler.Adaptation{Steps: warm, TargetAccept: target}); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < warm; k++ {
		c.Step(src)
	}
	if c.Sampler.Warming() {
		t.Fatal("still warming up after the warm-up's steps")
	}
	var info sampler.Info
	for k := 0; k < steps; k++ {
		info.Add(c.Step(src))
	}
	info.Scale(1 / float64(steps))
	return c, info
}

func TestHMCOnIllConditionedGaussians(t *testing.T) {
	cases := []struct {
		name  string
		d     int
		kappa float64
		mass  sampler.Mass
		dense bool
	}{
		{"rotated-d10-k100-identity", 10, 100, sampler.IdentityMass, true},
		{"rotated-d20-k10-diag", 20, 10, sampler.DiagMass, true},
		{"diagonal-d100-k1000-diag", 100, 1000, sampler.DiagMass, false},
		{"diagonal-d100-k100-gradient", 100, 100, sampler.GradientMass, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mean := make([]float64, c.d)
			for j := range mean {
				mean[j] = float64(j%5) - 2
			}
			var e sampler.Energy[float64]
			cov := make([]float64, c.d*c.d)
			if c.dense {
				cov = rotatedCov(c.d, c.kappa, uint64(i))
				g, err := energy.NewGaussian[float64](mean, cov)
				if err != nil {
					t.Fatal(err)
				}
				e = g
			} else {
				v := logSpaced(c.d, c.kappa)
				for j := range v {
					cov[j*c.d+j] = v[j]
				}
				e = diagGaussian{mean, v}
			}
			cfg := sampler.Config{Method: sampler.HMC, StepSize: 0.1, Leapfrog: 10, Mass: c.mass, Threshold: 1, NoiseScale: 1, Channels: 1}
			n := 600
			ch, info := warmAndRun(t, cfg, e, sampler.Tempering{}, n, 400, 150, uint64(10+i), 0)
			t.Logf("h %.4f, accept %.3f", ch.Sampler.Config.StepSize, info.Accept)
			if math.Abs(info.AcceptProb-0.8) > 0.05 {
				t.Errorf("acceptance probability %.3f after the warm-up, want 0.8 ± 0.05", info.AcceptProb)
			}
			checkAllMoments(t, ch.Positions(), n, c.d, mean, cov, c.dense)
			if c.mass == sampler.DiagMass && !c.dense {
				// the adapted inverse mass is the variances, within sampling error
				for j, m := range ch.Sampler.InvMass() {
					if r := m / cov[j*c.d+j]; r < 0.7 || r > 1.4 {
						t.Errorf("inverse mass[%d] = %.3g, want about the variance %.3g", j, m, cov[j*c.d+j])
						break
					}
				}
			}
		})
	}
}

func TestAdaptedMALA(t *testing.T) {
	d := 10
	mean := make([]float64, d)
	cov := rotatedCov(d, 10, 3)
	g, _ := energy.NewGaussian[float64](mean, cov)
	for _, rule := range []sampler.Method{sampler.SGLD, sampler.AniLA} {
		t.Run(rule.String(), func(t *testing.T) {
			cfg := sampler.Config{Method: rule, StepSize: 5, Threshold: 2, NoiseScale: 1, Adjusted: true, Channels: 1}
			n := 1000
			ch, info := warmAndRun(t, cfg, g, sampler.Tempering{}, n, 500, 300, 21, 0)
			t.Logf("η %.4f, accept %.3f", ch.Sampler.Config.StepSize, info.Accept)
			if math.Abs(info.AcceptProb-0.574) > 0.05 {
				t.Errorf("acceptance probability %.3f after the warm-up, want 0.574 ± 0.05", info.AcceptProb)
			}
			checkAllMoments(t, ch.Positions(), n, d, mean, cov, true)
		})
	}
}

func TestAdaptationReachesOtherTargets(t *testing.T) {
	d := 20
	e := diagGaussian{make([]float64, d), logSpaced(d, 30)}
	for _, c := range []struct {
		cfg    sampler.Config
		target float64
	}{
		{sampler.Config{Method: sampler.SGLD, StepSize: 1e-4, NoiseScale: 1, Adjusted: true, Channels: 1}, 0.3},
		{sampler.Config{Method: sampler.HMC, StepSize: 3, Leapfrog: 5, NoiseScale: 1, Channels: 1}, 0.65},
		{sampler.Config{Method: sampler.HMC, StepSize: 1e-3, Leapfrog: 5, Mass: sampler.DiagMass, NoiseScale: 1, Channels: 1}, 0.9},
		// unadjusted chains adapt by the acceptance a Metropolis test would have had
		{sampler.Config{Method: sampler.AniLA, StepSize: 1e-3, Threshold: 1, NoiseScale: 1, Channels: 1}, 0.574},
	} {
		_, info := warmAndRun(t, c.cfg, e, sampler.Tempering{}, 200, 400, 200, 5, c.target)
		if c.cfg.Adjusted || c.cfg.Method == sampler.HMC {
			if math.Abs(info.AcceptProb-c.target) > 0.05 {
				t.Errorf("%v: acceptance probability %.3f, want %.3f ± 0.05", c.cfg.Method, info.AcceptProb, c.target)
			}
		}
		if !(info.StepSize > 0) || info.StepSize == c.cfg.StepSize {
			t.Errorf("%v: step size %v not adapted from %v", c.cfg.Method, info.StepSize, c.cfg.StepSize)
		}
	}
}

// fourModes is a 2-D mixture of 4 unit Gaussians at the corners of a square of side 10
// (10 standard deviations apart) with weights 0.1, 0.2, 0.3, 0.4.
func fourModes(t *testing.T) (*energy.Mixture[float64], [][]float64, []float64) {
	means := [][]float64{{0, 0}, {10, 0}, {0, 10}, {10, 10}}
	w := []float64{0.1, 0.2, 0.3, 0.4}
	covs := make([][]float64, 4)
	for i := range covs {
		covs[i] = []float64{1, 0, 0, 1}
	}
	m, err := energy.NewMixture[float64](w, means, covs)
	if err != nil {
		t.Fatal(err)
	}
	return m, means, w
}

// modeWeights counts the draws by their nearest mode.
func modeWeights(x []float64, means [][]float64) []float64 {
	w := make([]float64, len(means))
	n := len(x) / 2
	for k := 0; k < n; k++ {
		best, bd := 0, math.Inf(1)
		for i, m := range means {
			dd := math.Hypot(x[2*k]-m[0], x[2*k+1]-m[1])
			if dd < bd {
				best, bd = i, dd
			}
		}
		w[best] += 1 / float64(n)
	}
	return w
}

func TestTemperingFindsModeWeights(t *testing.T) {
	mix, means, truth := fourModes(t)
	n, warm, steps := 100, 300, 400
	for _, c := range []struct {
		name string
		cfg  sampler.Config
		tp   sampler.Tempering
		good bool
	}{
		{"mala", sampler.Config{Method: sampler.SGLD, StepSize: 0.5, NoiseScale: 1, Adjusted: true, Channels: 1}, sampler.Tempering{}, false},
		{"mala-tempered", sampler.Config{Method: sampler.SGLD, StepSize: 0.5, NoiseScale: 1, Adjusted: true, Channels: 1},
			sampler.Tempering{Replicas: 8, MaxTemperature: 60, Adapt: true}, true},
		{"hmc-tempered", sampler.Config{Method: sampler.HMC, StepSize: 0.5, Leapfrog: 5, NoiseScale: 1, Channels: 1},
			sampler.Tempering{Replicas: 8, MaxTemperature: 60, Adapt: true}, true},
		{"langevin-tempered", sampler.Config{Method: sampler.SGLD, StepSize: 0.05, NoiseScale: 1, Channels: 1},
			sampler.Tempering{Replicas: 8, MaxTemperature: 60}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch, err := sampler.NewChains(c.cfg, mix, n, c.tp)
			if err != nil {
				t.Fatal(err)
			}
			// every chain starts in the lightest mode
			src := sampler.NewRandSource[float64](77)
			x := make([]float64, 2*n)
			src.Normal(x)
			ch.SetPositions(x)
			ch.Init()
			if c.cfg.Metropolis() {
				if err := ch.StartWarmup(sampler.Adaptation{Steps: warm}); err != nil {
					t.Fatal(err)
				}
			}
			for k := 0; k < warm; k++ {
				ch.Step(src)
			}
			var pooled []float64
			for k := 0; k < steps; k++ {
				ch.Step(src)
				if k%4 == 3 {
					pooled = append(pooled, ch.Positions()...)
				}
			}
			w := modeWeights(pooled, means)
			worst := 0.0
			for i := range w {
				worst = math.Max(worst, math.Abs(w[i]-truth[i]))
			}
			t.Logf("weights %.3f (truth %v), ladder %.2f, swap rates %.2f", w, truth, ch.Temperatures(), ch.SwapRates())
			if c.good && worst > 0.05 {
				t.Errorf("mode weights %.3f off the truth %v by %.3f, want <= 0.05", w, truth, worst)
			}
			if !c.good && worst < 0.3 {
				t.Errorf("untempered chains' weights %.3f within %.3f of the truth; the test's target is too easy", w, worst)
			}
		})
	}
}

func TestTemperingLadderAdapts(t *testing.T) {
	mix, _, _ := fourModes(t)
	cfg := sampler.Config{Method: sampler.SGLD, StepSize: 0.5, NoiseScale: 1, Adjusted: true, Channels: 1}
	ch, _ := warmAndRun(t, cfg, mix, sampler.Tempering{Replicas: 6, MaxTemperature: 200, Adapt: true}, 200, 600, 300, 8, 0)
	rates := ch.SwapRates()
	lo, hi := 1.0, 0.0
	for _, r := range rates {
		lo, hi = math.Min(lo, r), math.Max(hi, r)
	}
	temps := ch.Temperatures()
	t.Logf("ladder %.2f, swap rates %.3f", temps, rates)
	if hi-lo > 0.15 {
		t.Errorf("swap rates %.3f differ by %.3f after adapting, want <= 0.15", rates, hi-lo)
	}
	if temps[0] != 1 || temps[len(temps)-1] != 200 {
		t.Errorf("ladder %v does not run from 1 to 200", temps)
	}
	for i := 1; i < len(temps); i++ {
		if !(temps[i] > temps[i-1]) {
			t.Errorf("ladder %v is not increasing", temps)
		}
	}
}

func TestMaskedSamplingIsConditional(t *testing.T) {
	d := 8
	mean := []float64{1, -1, 0.5, 0, 2, -0.5, 0, 1}
	cov := rotatedCov(d, 20, 11)
	g, _ := energy.NewGaussian[float64](mean, cov)
	// fix coordinates 0, 2, 4, 6 at given values; the others are drawn given them
	fixed := []int{0, 2, 4, 6}
	free := []int{1, 3, 5, 7}
	at := []float64{2, 0, 1, -1}
	cm, cc := conditional(mean, cov, d, free, fixed, at)
	for _, c := range []struct {
		name string
		cfg  sampler.Config
		warm int
	}{
		{"mala", sampler.Config{Method: sampler.AniLA, StepSize: 0.5, Threshold: 1, NoiseScale: 1, Adjusted: true, Channels: 1}, 300},
		{"hmc", sampler.Config{Method: sampler.HMC, StepSize: 0.3, Leapfrog: 8, Mass: sampler.DiagMass, NoiseScale: 1, Channels: 1}, 300},
		{"mala-tempered", sampler.Config{Method: sampler.SGLD, StepSize: 0.3, NoiseScale: 1, Adjusted: true, Channels: 1}, 300},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := 1500
			tp := sampler.Tempering{}
			if c.name == "mala-tempered" {
				tp = sampler.Tempering{Replicas: 3, MaxTemperature: 4}
			}
			ch, err := sampler.NewChains(c.cfg, g, n, tp)
			if err != nil {
				t.Fatal(err)
			}
			src := sampler.NewRandSource[float64](31)
			x := make([]float64, n*d)
			src.Normal(x)
			mask := make([]bool, n*d)
			for k := 0; k < n; k++ {
				for i, j := range fixed {
					x[k*d+j] = at[i]
					mask[k*d+j] = true
				}
			}
			ch.SetPositions(x)
			if err := ch.SetMask(mask); err != nil {
				t.Fatal(err)
			}
			ch.Init()
			ch.StartWarmup(sampler.Adaptation{Steps: c.warm})
			for k := 0; k < c.warm+200; k++ {
				ch.Step(src)
			}
			z := ch.Positions()
			for k := 0; k < n; k++ {
				for i, j := range fixed {
					if z[k*d+j] != at[i] {
						t.Fatalf("chain %d moved fixed coordinate %d: %v, want %v", k, j, z[k*d+j], at[i])
					}
				}
			}
			sub := make([]float64, n*len(free))
			for k := 0; k < n; k++ {
				for i, j := range free {
					sub[k*len(free)+i] = z[k*d+j]
				}
			}
			checkAllMoments(t, sub, n, len(free), cm, cc, true)
		})
	}
}

// conditional is the mean and covariance of the coordinates free of N(mean, cov) given the
// coordinates fixed at the values at: μ_a + Σ_ab Σ_bb⁻¹ (x_b − μ_b), Σ_aa − Σ_ab Σ_bb⁻¹ Σ_ba.
func conditional(mean, cov []float64, d int, free, fixed []int, at []float64) ([]float64, []float64) {
	nb := len(fixed)
	// Σ_bb⁻¹ by Gauss–Jordan
	inv := make([][]float64, nb)
	for i := range inv {
		inv[i] = make([]float64, 2*nb)
		for j := range fixed {
			inv[i][j] = cov[fixed[i]*d+fixed[j]]
		}
		inv[i][nb+i] = 1
	}
	for c := 0; c < nb; c++ {
		p := inv[c][c]
		for j := range inv[c] {
			inv[c][j] /= p
		}
		for r := 0; r < nb; r++ {
			if r != c {
				f := inv[r][c]
				for j := range inv[r] {
					inv[r][j] -= f * inv[c][j]
				}
			}
		}
	}
	na := len(free)
	cm := make([]float64, na)
	cc := make([]float64, na*na)
	for a, ia := range free {
		cm[a] = mean[ia]
		for i := range fixed {
			for j, jb := range fixed {
				cm[a] += cov[ia*d+fixed[i]] * inv[i][nb+j] * (at[j] - mean[jb])
			}
		}
		for b, ib := range free {
			s := cov[ia*d+ib]
			for i := range fixed {
				for j := range fixed {
					s -= cov[ia*d+fixed[i]] * inv[i][nb+j] * cov[fixed[j]*d+ib]
				}
			}
			cc[a*na+b] = s
		}
	}
	return cm, cc
}

func TestAdvancedStepsAllocateNothing(t *testing.T) {
	g, _ := energy.NewGaussian[float64]([]float64{0, 0}, []float64{1, 0, 0, 1})
	for _, c := range []struct {
		name string
		cfg  sampler.Config
		tp   sampler.Tempering
		mask bool
	}{
		{"hmc", sampler.Config{Method: sampler.HMC, StepSize: 0.1, Leapfrog: 4, NoiseScale: 1, Channels: 1}, sampler.Tempering{}, false},
		{"hmc-masked", sampler.Config{Method: sampler.HMC, StepSize: 0.1, Leapfrog: 4, NoiseScale: 1, Channels: 1}, sampler.Tempering{}, true},
		{"mala-masked", sampler.Config{Method: sampler.AniLA, StepSize: 0.1, Threshold: 1, NoiseScale: 1, Adjusted: true, Channels: 1}, sampler.Tempering{}, true},
		{"mala-tempered", sampler.Config{Method: sampler.SGLD, StepSize: 0.1, NoiseScale: 1, Adjusted: true, Channels: 1}, sampler.Tempering{Replicas: 4, MaxTemperature: 10}, false},
		{"hmc-tempered", sampler.Config{Method: sampler.HMC, StepSize: 0.1, Leapfrog: 3, NoiseScale: 1, Channels: 1}, sampler.Tempering{Replicas: 4, MaxTemperature: 10}, false},
	} {
		ch, err := sampler.NewChains(c.cfg, g, 64, c.tp)
		if err != nil {
			t.Fatal(err)
		}
		if c.mask {
			m := make([]bool, 128)
			for i := range m {
				m[i] = i%3 == 0
			}
			ch.SetMask(m)
		}
		ch.Init()
		src := sampler.NewRandSource[float64](1)
		ch.Step(src)
		if a := testing.AllocsPerRun(50, func() { ch.Step(src) }); a != 0 {
			t.Errorf("%s: Step allocates %v times", c.name, a)
		}
	}
}

func TestDualAveragingFindsTheStep(t *testing.T) {
	// an acceptance that falls with the step: a(ε) = exp(−ε²); the target 0.6 is at
	// ε = √(−log 0.6)
	da := sampler.NewDualAveraging(10, 0.6)
	eps := 10.0
	for i := 0; i < 2000; i++ {
		eps = da.Update(math.Exp(-eps * eps))
	}
	want := math.Sqrt(-math.Log(0.6))
	if got := da.Final(); math.Abs(got-want) > 0.02*want {
		t.Errorf("final step %.4f, want %.4f", got, want)
	}
}

func TestTemperingAndWarmupValidate(t *testing.T) {
	g, _ := energy.NewGaussian[float64]([]float64{0, 0}, []float64{1, 0, 0, 1})
	cfg := sampler.Config{Method: sampler.SGLD, StepSize: 0.1, NoiseScale: 1, Adjusted: true, Channels: 1}
	for _, c := range []struct {
		tp   sampler.Tempering
		want string
	}{
		{sampler.Tempering{Replicas: -1}, "replicas"},
		{sampler.Tempering{Replicas: 3, MaxTemperature: 1}, "max_temperature"},
		{sampler.Tempering{Replicas: 3, MaxTemperature: math.Inf(1)}, "max_temperature"},
	} {
		if _, err := sampler.NewChains(cfg, g, 4, c.tp); err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.tp, err, c.want)
		}
	}
	ch, _ := sampler.NewChains(cfg, g, 4, sampler.Tempering{})
	if err := ch.StartWarmup(sampler.Adaptation{Steps: 0}); err == nil || !contains(err.Error(), "warmup") {
		t.Errorf("warm-up of 0 steps: error %v", err)
	}
	if err := ch.StartWarmup(sampler.Adaptation{Steps: 10, TargetAccept: 1.5}); err == nil || !contains(err.Error(), "target_accept") {
		t.Errorf("target 1.5: error %v", err)
	}
	hmc := sampler.Config{Method: sampler.HMC, StepSize: 0.1, Channels: 1}
	if err := hmc.Validate(2); err == nil || !contains(err.Error(), "leapfrog") {
		t.Errorf("HMC without leapfrog steps: error %v", err)
	}
}
