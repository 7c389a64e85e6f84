"""The true log densities of the toy sets (`anila.datasets.log_density`), from the
definitions in anila/data/toy.go: closed forms where they exist (Gaussians; rings by the
Bessel function I₀), otherwise one-dimensional
integrals by a 4,000-point rule or, for pinwheel, a sum over the preimages of the map that
generates it."""

from __future__ import annotations

import numpy as np

_LOG2PI = np.log(2 * np.pi)


def _gauss_mix_on_curve(X, cx, cy, sd, block=256):
    """log of the mean over curve points (cx, cy) of N(x; c, sd² I), `block` rows of X at a
    time (the points × curve arrays then stay in cache)."""
    out = np.empty(len(X))
    for i in range(0, len(X), block):
        x = X[i:i + block]
        e = (x[:, :1] - cx[None]) ** 2
        e += (x[:, 1:] - cy[None]) ** 2
        e *= -1 / (2 * sd * sd)
        m = e.max(axis=1, keepdims=True)
        e -= m
        np.exp(e, out=e)
        out[i:i + block] = m[:, 0] + np.log(e.mean(axis=1))
    return out - _LOG2PI - 2 * np.log(sd)


def _logsumexp(parts, weights):
    stack = np.stack(parts) + np.log(np.asarray(weights))[:, None]
    m = stack.max(axis=0)
    return m + np.log(np.exp(stack - m).sum(axis=0))


def _log_i0(z):
    """log I₀(z), the modified Bessel function, for z >= 0: NumPy's i0 where it does not
    overflow, its asymptotic series (error below 1e-12 there) beyond."""
    z = np.asarray(z, dtype=float)
    small = z < 600
    out = np.empty_like(z)
    out[small] = np.log(np.i0(z[small]))
    b = z[~small]
    out[~small] = b - 0.5 * np.log(2 * np.pi * b) + np.log1p(1 / (8 * b) + 9 / (128 * b**2) + 225 / (3072 * b**3))
    return out


def _rings(X):
    # a ring of radius r blurred by N(0, sd² I), uniform in angle: in closed form,
    # exp(−(ρ² + r²)/(2 sd²)) I₀(ρ r / sd²) / (2π sd²)
    sd = 0.08
    rho2 = (X**2).sum(1)
    rho = np.sqrt(rho2)
    parts = [-(rho2 + r * r) / (2 * sd * sd) + _log_i0(rho * r / (sd * sd)) - _LOG2PI - 2 * np.log(sd)
             for r in (0.75, 1.5, 2.25, 3.0)]
    return _logsumexp(parts, [0.25] * 4)


def _gaussians(X, centres, sd):
    d2 = ((X[:, None, :] - centres[None]) ** 2).sum(-1)
    lp = -d2 / (2 * sd * sd) - _LOG2PI - 2 * np.log(sd)
    m = lp.max(axis=1)
    return m + np.log(np.exp(lp - m[:, None]).mean(axis=1))


def _eight(X):
    a = np.arange(8) * np.pi / 4
    r = 4 / np.sqrt(2)
    return _gaussians(X, np.stack([r * np.cos(a), r * np.sin(a)], 1), 0.5 / np.sqrt(2))


def _twentyfive(X):
    g = 1.5 * (np.arange(5) - 2.0)
    return _gaussians(X, np.stack(np.meshgrid(g, g), -1).reshape(-1, 2), 0.1)


def _spirals(X):
    # t = 3π√u: density of t is 2t/(3π)² on [0, 3π]; midpoint rule in u instead (t's law is
    # uniform in u), so a plain mean over u-midpoints.
    u = (np.arange(4000) + 0.5) / 4000
    t = 3 * np.pi * np.sqrt(u)
    cx, cy = -t * np.cos(t) / 3, t * np.sin(t) / 3
    return _logsumexp([_gauss_mix_on_curve(X, cx, cy, 0.15), _gauss_mix_on_curve(X, -cx, -cy, 0.15)], [0.5, 0.5])


def _moons(X):
    t = (np.arange(4000) + 0.5) / 4000 * np.pi
    up = (2 * (np.cos(t) - 0.5), 2 * (np.sin(t) - 0.25))
    low = (2 * (1 - np.cos(t) - 0.5), 2 * (0.5 - np.sin(t) - 0.25))
    return _logsumexp([_gauss_mix_on_curve(X, *up, 0.1), _gauss_mix_on_curve(X, *low, 0.1)], [0.5, 0.5])


def _checkerboard(X):
    col = np.floor((X[:, 0] + 4) / 2)
    row = np.floor((X[:, 1] + 4) / 2)
    inside = (col >= 0) & (col < 4) & (row >= 0) & (row < 4) & ((col + row) % 2 == 0)
    with np.errstate(divide="ignore"):
        return np.where(inside, np.log(1 / 32), -np.inf)


def _wrap(a):
    """a wrapped to [−π, π)."""
    return np.remainder(a + np.pi, 2 * np.pi) - np.pi


def _pinwheel(X, n_grid=1000):
    # x = 2 R(2πk/5 + 0.25 e^a)(a, b) with (a, b) ~ N((1, 0), diag(0.3², 0.1²)), k uniform.
    # With u = x/2 = |u| e^{iφ} and (a, b) = |u|(cos ψ, sin ψ), a preimage solves
    # φ = 2πk/5 + 0.25 e^{|u| cos ψ} + ψ (mod 2π); each root is found on a grid in ψ and
    # refined by bisection (the roots are far apart compared with the grid); p(x) = Σ (1/5) N(a, b) / |det J|, det J = 4(1 − 0.25 e^a b).
    u = X / 2
    r = np.hypot(u[:, 0], u[:, 1])
    phi = np.arctan2(u[:, 1], u[:, 0])
    psi = np.linspace(-np.pi, np.pi, n_grid)
    dens = np.zeros(len(X))

    def g(ps, rr, pp, k):
        return _wrap(pp - 2 * np.pi * k / 5 - 0.25 * np.exp(rr * np.cos(ps)) - ps)

    for k in range(5):
        for lo_i in range(0, len(X), 2000):  # bounded memory
            sl = slice(lo_i, lo_i + 2000)
            d = g(psi[None, :], r[sl, None], phi[sl, None], k)
            s0, s1 = d[:, :-1], d[:, 1:]
            ip, ig = np.nonzero((np.sign(s0) != np.sign(s1)) & (np.abs(s1 - s0) < np.pi))
            if len(ip) == 0:
                continue
            ip = ip + lo_i
            lo, hi = psi[ig].copy(), psi[ig + 1].copy()
            rr, pp = r[ip], phi[ip]
            flo = g(lo, rr, pp, k)
            for _ in range(45):
                mid = (lo + hi) / 2
                fm = g(mid, rr, pp, k)
                left = np.sign(fm) == np.sign(flo)
                lo, flo, hi = np.where(left, mid, lo), np.where(left, fm, flo), np.where(left, hi, mid)
            ps = (lo + hi) / 2
            a, b = rr * np.cos(ps), rr * np.sin(ps)
            pdf = np.exp(-0.5 * ((a - 1) / 0.3) ** 2 - 0.5 * (b / 0.1) ** 2) / (2 * np.pi * 0.3 * 0.1)
            np.add.at(dens, ip, pdf / np.abs(4 * (1 - 0.25 * np.exp(a) * b)) / 5)
    with np.errstate(divide="ignore"):
        return np.log(dens)


DENSITIES = {"rings": _rings, "8gaussians": _eight, "25gaussians": _twentyfive, "2spirals": _spirals,
             "moons": _moons, "checkerboard": _checkerboard, "pinwheel": _pinwheel}
