"""Energies written in Python: anila.sample(fn, n, dim=d) calls fn from the Go loop."""

import numpy as np
import pytest

import anila

MEAN = np.array([1.0, -2.0])
COV = np.array([[1.0, 0.6], [0.6, 0.5]])
PREC = np.linalg.inv(COV)


def gaussian(X):
    """log N(x; MEAN, COV) up to a constant, and its gradient."""
    r = X - MEAN
    return -0.5 * np.einsum("ij,jk,ik->i", r, PREC, r), -r @ PREC


def test_adjusted_sampler_is_exact_on_a_python_energy():
    """MALA on fn targets exp(f) exactly: the sample mean and covariance of 4,000 chains match
    N(MEAN, COV) within their Monte Carlo error, for both step rules."""
    for sampler in ("anila", "sgld"):
        Z, info = anila.sample(gaussian, 4000, dim=2, sampler=sampler, adjusted=True, steps=300,
                               step_size=0.3, threshold=0.5, seed=1, return_info=True)
        assert Z.shape == (4000, 2) and 0.3 < info["accept"] < 1
        se = np.sqrt(np.diag(COV) / 4000)
        assert np.all(np.abs(Z.mean(0) - MEAN) < 5 * se), (sampler, Z.mean(0))
        np.testing.assert_allclose(np.cov(Z.T), COV, atol=0.08)


def test_function_matches_analytic_energy_bit_for_bit():
    """The same density as an analytic Gaussian and as a Python function gives the same chains
    (same seed, same noise), so fn is called with the chains' exact positions."""
    g = anila.energies.Gaussian(MEAN, COV)
    kw = dict(sampler="anila", steps=20, step_size=0.2, threshold=0.5, seed=3)
    a = anila.sample(g, 50, **kw)
    b = anila.sample(gaussian, 50, dim=2, **kw)
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


class Boom(Exception):
    pass


def test_exception_in_fn_comes_back_as_itself():
    calls = []
    err = Boom("at call 3")

    def fn(X):
        calls.append(len(X))
        if len(calls) == 3:
            raise err
        return gaussian(X)

    with pytest.raises(Boom) as info:
        anila.sample(fn, 16, dim=2, steps=50, seed=0)
    assert info.value is err
    assert calls == [16, 16, 16]  # stopped at the failing step; nothing crashed
    # and the library still works
    assert anila.sample(gaussian, 4, dim=2, steps=3).shape == (4, 2)


@pytest.mark.parametrize("fn, exc, match", [
    (lambda X: gaussian(X)[0], TypeError, "pair"),
    (lambda X: (gaussian(X)[0][:-1], gaussian(X)[1]), ValueError, r"f of shape \(15,\), want \(16,\)"),
    (lambda X: (gaussian(X)[0], gaussian(X)[1][:, :1]), ValueError, r"grad of shape \(16, 1\)"),
    (lambda X: (np.full(len(X), np.nan), gaussian(X)[1]), ValueError, "non-finite f at row 0"),
])
def test_bad_output_of_fn(fn, exc, match):
    with pytest.raises(exc, match=match):
        anila.sample(fn, 16, dim=2, steps=5)


def test_bad_arguments():
    with pytest.raises(TypeError, match="needs dim"):
        anila.sample(gaussian, 4)
    with pytest.raises(ValueError, match="dim must be >= 1"):
        anila.sample(gaussian, 4, dim=0)
    with pytest.raises(ValueError, match="dim is 3 but the energy's dimension is 2"):
        anila.sample(anila.energies.Gaussian(MEAN, COV), 4, dim=3)


def test_function_energy_object():
    """anila.energies.Function evaluates through Go like the analytic energies."""
    fe = anila.energies.Function(gaussian, 2)
    X = np.random.default_rng(0).normal(size=(7, 2))
    f, g = gaussian(X)
    np.testing.assert_array_equal(fe.energy(X), f)
    np.testing.assert_array_equal(fe.energy_grad(X), g)
    fe.close()
