package metric

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Chain diagnostics of one scalar quantity over several chains, as Stan computes them
// (Vehtari, Gelman, Simpson, Carpenter and Bürkner 2021, without rank normalisation): draws is
// chains × n, row-major, one chain per row. Each chain is split in halves, so that a chain
// that drifts counts as two that disagree.

// SplitRHat is the potential scale reduction factor R̂ of split chains: near 1 when the
// chains agree, above 1.01 a sign that they have not mixed.
func SplitRHat(draws []float64, chains, n int) (float64, error) {
	s, err := split(draws, chains, n)
	if err != nil {
		return 0, err
	}
	w, b, _ := variances(s)
	h := len(s[0])
	varPlus := float64(h-1)/float64(h)*w + b/float64(h)
	if w == 0 {
		if b == 0 {
			return 1, nil
		}
		return math.Inf(1), nil
	}
	return math.Sqrt(varPlus / w), nil
}

// ESS is the effective sample size of the split chains: the number of independent draws
// that would estimate the mean as precisely, from the chains' autocorrelations summed by
// Geyer's initial monotone sequence.
func ESS(draws []float64, chains, n int) (float64, error) {
	s, err := split(draws, chains, n)
	if err != nil {
		return 0, err
	}
	m, h := len(s), len(s[0])
	w, b, means := variances(s)
	varPlus := float64(h-1)/float64(h)*w + b/float64(h)
	if varPlus == 0 {
		return float64(m * h), nil
	}
	// autocovariance of each split chain at every lag, averaged over chains
	acovs := autocovariances(s, means)
	rho := func(t int) float64 { return 1 - (w-acovs[t])/varPlus }
	// Geyer's initial positive sequence of pairs ρ_{2k} + ρ_{2k+1}, then his initial monotone
	// sequence, with Stan's last positive even term: step for step Stan's (and ArviZ's)
	// estimator, which python/tests/test_metrics.py checks against ArviZ.
	rhoT := make([]float64, h)
	rhoEven, rhoOdd := 1.0, rho(1)
	rhoT[0], rhoT[1] = rhoEven, rhoOdd
	t := 1
	for t < h-3 && rhoEven+rhoOdd > 0 {
		rhoEven, rhoOdd = rho(t+1), rho(t+2)
		if rhoEven+rhoOdd >= 0 {
			rhoT[t+1], rhoT[t+2] = rhoEven, rhoOdd
		}
		t += 2
	}
	maxT := t - 2
	if rhoEven > 0 {
		rhoT[maxT+1] = rhoEven
	}
	for t := 1; t <= maxT-2; t += 2 {
		if rhoT[t+1]+rhoT[t+2] > rhoT[t-1]+rhoT[t] {
			rhoT[t+1] = (rhoT[t-1] + rhoT[t]) / 2
			rhoT[t+2] = rhoT[t+1]
		}
	}
	tau := -1.0 + rhoT[maxT+1]
	for _, r := range rhoT[:maxT+1] {
		tau += 2 * r
	}
	tau = math.Max(tau, 1/math.Log10(float64(m*h)))
	return float64(m*h) / tau, nil
}

func split(draws []float64, chains, n int) ([][]float64, error) {
	if chains < 1 || n < 4 {
		return nil, fmt.Errorf("metric: chain diagnostics need >= 1 chain of >= 4 draws, got %d of %d", chains, n)
	}
	if len(draws) < chains*n {
		return nil, fmt.Errorf("metric: %d draws, want chains×n = %d", len(draws), chains*n)
	}
	h := n / 2
	out := make([][]float64, 0, 2*chains)
	for c := 0; c < chains; c++ {
		x := draws[c*n : (c+1)*n]
		out = append(out, x[:h], x[n-h:])
	}
	for _, x := range out {
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("metric: draws contain %v", v)
			}
		}
	}
	return out, nil
}

// variances returns the mean within-chain variance W, the between-chain variance B (times
// the chain length, as in Gelman et al.) and the chain means.
func variances(s [][]float64) (w, b float64, means []float64) {
	m, h := len(s), len(s[0])
	means = make([]float64, m)
	grand := 0.0
	for c, x := range s {
		mu := 0.0
		for _, v := range x {
			mu += v
		}
		mu /= float64(h)
		means[c] = mu
		grand += mu
		v := 0.0
		for _, y := range x {
			v += (y - mu) * (y - mu)
		}
		w += v / float64(h-1)
	}
	grand /= float64(m)
	w /= float64(m)
	if m > 1 {
		for _, mu := range means {
			b += (mu - grand) * (mu - grand)
		}
		b = b * float64(h) / float64(m-1)
	}
	return w, b, means
}

// autocovariances returns, for every lag t < h, the mean over the chains of
// Σ_i (x_i − μ)(x_{i+t} − μ) / h, by FFT (O(h log h) a chain, where the sums lag by lag were
// O(h²) on chains that mix slowly): the power spectrum of the centred chain, zero-padded to at
// least 2h so that the circular correlation is the linear one.
func autocovariances(s [][]float64, means []float64) []float64 {
	h := len(s[0])
	size := 1
	for size < 2*h {
		size *= 2
	}
	fft := fourier.NewFFT(size)
	buf := make([]float64, size)
	var coef []complex128
	out := make([]float64, h)
	for c, x := range s {
		clear(buf)
		for i, v := range x {
			buf[i] = v - means[c]
		}
		coef = fft.Coefficients(coef, buf)
		for i, z := range coef {
			coef[i] = complex(real(z)*real(z)+imag(z)*imag(z), 0)
		}
		seq := fft.Sequence(buf, coef) // unnormalised: size × the correlation
		for t := 0; t < h; t++ {
			out[t] += seq[t] / float64(size) / float64(h)
		}
	}
	for t := range out {
		out[t] /= float64(len(s))
	}
	return out
}
