"""Writes notebooks/evaluation.ipynb (without outputs). Execute it to store outputs:
python -c "import nbformat, nbclient; nb = nbformat.read('evaluation.ipynb', 4);
nbclient.NotebookClient(nb, kernel_name='python3').execute(); nbformat.write(nb, 'evaluation.ipynb')"
The tests (python/tests/test_notebook.py) execute it top to bottom on a small budget."""
import os

import nbformat as nbf

nb = nbf.v4.new_notebook()
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
nb.cells = [
md("""# Know your model: log-likelihood with a bracket, out-of-distribution scores, diagnostics

An EBM gives f(x), the log density up to a constant: p(x) = exp(f(x)) / Z. This notebook
estimates log Z by annealed importance sampling (AIS) with a bracket, turns it into
log-likelihoods and bits per dimension, scores out-of-distribution inputs, and draws the
plots that say whether a model and its sampler are healthy."""),
code("""%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import anila

print("anila", anila.__version__, "|", anila.blas(), "|", anila.get_num_threads(), "threads")"""),
md("""## log Z in 2-D, where the grid gives the truth
`anila.metrics.log_partition` runs AIS forward from a Gaussian fitted to the model's data to
exp(f) (a stochastic lower bound on log Z) and in reverse from samples of the model (an upper
estimate: a true bound only from exact draws, which a trained model does not have). In two
dimensions quadrature on a fine grid gives log Z to check it against."""),
code("""iterations = 1500
X = anila.datasets.rings(10_000, seed=0)
rings = anila.train(X, iterations=iterations, seed=0, progress=False)
grid = anila.metrics.log_normaliser(rings, ((-6, 6), (-6, 6)), resolution=800)
lp = anila.metrics.log_partition(rings, distributions=500, chains=128, transition="mala", steps=2, reverse_steps=300,
                                 seed=0)
print(lp)
print(f"grid quadrature: {grid:.4f};  AIS midpoint {lp.log_z:.4f} (off by {lp.log_z - grid:+.4f}), {lp.seconds:.1f} s")
held = anila.datasets.rings(2000, seed=1)
print(f"held-out NLL: {-rings.log_likelihood(held, log_z=lp).mean():.3f} nat per point")"""),
md("""## Fashion-MNIST: bits per dimension with a bracket
A small MLP energy on flattened images in [-1, 1] (8-bit pixels: bins 2/255 wide). Bits per
dimension are computed on 500 uniformly dequantised test images x + u·2/255 (u ~ U[0, 1)), the
usual convention for continuous models of 8-bit data; the bracket on log Z gives one on bits
per dimension. A wide bracket means AIS needs more distributions: report it, not a number.
Where the reverse estimate falls below the forward one, its start points (HMC samples) were
not draws of the model, and only the forward lower bound on log Z stands: a short-run EBM
trained with samples clamped to a box is often not a usable density over all of R^784."""),
code("""seconds = 120
F = anila.datasets.fashion_mnist("train").reshape(60_000, -1)
fm = anila.train(F, hidden=(256, 256), iterations=10**9, max_seconds=seconds, seed=0, progress=False)
print(fm, "trained for", fm.iteration, "iterations")
test_images = anila.datasets.fashion_mnist("test")
test = test_images[:500].reshape(500, -1)
rng = np.random.default_rng(0)
deq = (test + rng.uniform(0, 2 / 255, size=test.shape)).astype(np.float32)
distributions = 300
lpf = anila.metrics.log_partition(fm, distributions=distributions, chains=32, reverse_steps=200, seed=0)
print(lpf)
f = fm.energy(deq).astype(np.float64)
lo, hi = lpf.bracket
bpd_lo = anila.metrics.bits_per_dim(f - lo, dim=784, bin_width=2 / 255)   # log Z ≥ lo: bits/dim ≥ this
if hi >= lo:
    print(f"bits/dim in [{anila.metrics.bits_per_dim(f - hi, dim=784, bin_width=2 / 255):.3f}, {bpd_lo:.3f}]")
else:
    print(f"bits/dim ≥ {bpd_lo:.3f} (forward bound only; uniform on [-1, 1] would give {np.log2(255):.2f})")"""),
md("""## Out-of-distribution scores
Two scores, each higher for inputs more like the training data: the energy f(x), and minus
the gradient norm ‖∇ₓf(x)‖. `ood_auroc` is the probability that an in-distribution input
scores above an out-of-distribution one (1: perfectly told apart; 0.5: chance)."""),
code("""outs = {"uniform noise": rng.uniform(-1, 1, size=(500, 784)).astype(np.float32),
        "digits (scikit-learn, 28×28)": anila.datasets.digits(28)[:500].reshape(500, -1),
        "Fashion-MNIST upside down": test_images[500:1000, ::-1].reshape(500, -1)}
s_in = anila.metrics.ood_scores(fm, test)
print(f"{'out-of-distribution set':30s} {'AUROC f(x)':>10s} {'AUROC −‖∇f‖':>12s}")
for name, Xo in outs.items():
    s_out = anila.metrics.ood_scores(fm, Xo)
    print(f"{name:30s} {anila.metrics.ood_auroc(s_in['energy'], s_out['energy']):10.3f} "
          f"{anila.metrics.ood_auroc(s_in['grad_norm'], s_out['grad_norm']):12.3f}")"""),
md("""## Diagnostics
**Energy histograms.** Data and the model's samples should overlap, both well above noise.
Samples far above the data: the sampler overshoots modes (or the model is diverging); far
below: the chains have not reached the modes.

**Training curves** (`anila.plot.history`): the energy gap f(data) − f(samples) should hover
near 0 (a gap growing without bound is the classic divergence); the parameter-gradient norm
should stay bounded; the sampler's step sizes steady.

**Chains**: traces that mix, rank plots that are flat (every chain covers the same values),
autocorrelation that falls to 0 within a few dozen steps. `anila.to_arviz` hands the same
trace to ArviZ for its summaries (R̂, ESS) and plots."""),
code("""S = fm.sample(200, steps=100, seed=0)
anila.plot.energy_histogram(fm, {"data": test, "samples": S, "uniform noise": outs["uniform noise"]});
anila.plot.history(fm, fields=("gap", "grad_norm", "gamma_mean"));"""),
code("""T = rings.sample(8, steps=500, init="data", sampler="hmc", trace=True, seed=0)
anila.plot.chains(T, coords=[0, 1]);
for i in range(2):
    print(f"x[{i}]: ESS {anila.metrics.ess(T[:, :, i].T):.0f} of {T.shape[0] * T.shape[1]} draws, "
          f"split R-hat {anila.metrics.split_rhat(T[:, :, i].T):.3f}")
# with `pip install 'anila[arviz]'`: arviz_stats.summary(anila.to_arviz(T, names=["x0", "x1"]))"""),
]
here = os.path.dirname(os.path.abspath(__file__))
nbf.write(nb, os.path.join(here, "evaluation.ipynb"))
