package capi

import (
	"fmt"
	"github.com/anila-ebm/anila/anila/run"
	"sync"
	"unsafe"

	"github.com/anila-ebm/anila/anila/energy"
	"github.com/anila-ebm/anila/anila/sampler"
)

// analytic is a float64 energy held by a handle: an analytic one, or a caller's function
// (callbackEnergy), whose failures it reports through the failer interface.
type analytic struct {
	mu sync.Mutex
	e  sampler.Energy[float64]
}

// failer is an energy that can fail (a caller's function that raised): err reports a
// failure since the last reset.
type failer interface {
	err() error
	reset()
}

func (a *analytic) close()        {}
func (a *analytic) dim() int      { return a.e.Dim() }
func (a *analytic) dtype() string { return "float64" }
func (a *analytic) acquire(bool) (func(), error) {
	a.mu.Lock()
	return a.mu.Unlock, nil
}

func (a *analytic) energyGrad(x, f, g unsafe.Pointer, n int) error {
	d := a.dim()
	gs := slice[float64](g, n*d)
	if gs == nil && n > 0 {
		gs = make([]float64, n*d)
	}
	fl, canFail := a.e.(failer)
	if canFail {
		fl.reset()
	}
	a.e.EnergyGrad(slice[float64](x, n*d), n, slice[float64](f, n), gs)
	if canFail {
		return fl.err()
	}
	return nil
}

func (a *analytic) newChains(plan run.Sampling, n int, seed uint64) (chains, error) {
	ch, err := newChainsT[float64](a.acquire, a.e, plan, n, seed, func(how string) ([]float64, int, error) {
		return nil, 0, fmt.Errorf("init=%q needs a trained model, not an analytic energy or an energy function", how)
	})
	if err != nil {
		return nil, err
	}
	if fl, ok := a.e.(failer); ok {
		ch.failed = func() error {
			err := fl.err()
			fl.reset()
			return err
		}
	}
	return ch, nil
}

// NewGaussianEnergy makes the energy of N(mean, cov), cov d×d row-major.
func NewGaussianEnergy(mean, cov []float64) (h int64, err error) {
	defer guard(&err)
	e, err := energy.NewGaussian[float64](mean, cov)
	if err != nil {
		return 0, err
	}
	return register(&analytic{e: e}), nil
}

// NewMixtureEnergy makes the energy of a k-component Gaussian mixture in d dimensions:
// weights (k), means (k×d) and covs (k×d×d), flattened row-major.
func NewMixtureEnergy(weights, means, covs []float64, d int) (h int64, err error) {
	defer guard(&err)
	k := len(weights)
	if d < 1 || len(means) != k*d || len(covs) != k*d*d {
		return 0, fmt.Errorf("mixture needs means of %d×%d and covs of %d×%d×%d values, got %d and %d", k, d, k, d, d, len(means), len(covs))
	}
	ms, cs := make([][]float64, k), make([][]float64, k)
	for i := 0; i < k; i++ {
		ms[i] = means[i*d : (i+1)*d]
		cs[i] = covs[i*d*d : (i+1)*d*d]
	}
	e, err := energy.NewMixture[float64](weights, ms, cs)
	if err != nil {
		return 0, err
	}
	return register(&analytic{e: e}), nil
}
