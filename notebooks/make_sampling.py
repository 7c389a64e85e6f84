"""Writes notebooks/sampling.ipynb (without outputs). Execute it to store outputs:
python -c "import nbformat, nbclient; nb = nbformat.read('sampling.ipynb', 4);
nbclient.NotebookClient(nb, kernel_name='python3').execute(); nbformat.write(nb, 'sampling.ipynb')"
The tests (python/tests/test_notebook.py) execute it top to bottom on a small budget."""
import os

import nbformat as nbf

nb = nbf.v4.new_notebook()
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
nb.cells = [
md("""# Sampling hard targets, and conditioning an image model

anila's samplers draw from any energy p(x) ∝ exp(f(x)): an analytic one, a Python function, or
a trained model. This notebook samples an ill-conditioned Gaussian with HMC and adapted step
sizes, a mixture of well-separated modes with parallel tempering, and fills in the missing
half of Fashion-MNIST images with a trained model (masked, i.e. conditional, sampling)."""),
code("""%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import anila
from anila.energies import Gaussian, Mixture

print("anila", anila.__version__, "|", anila.blas(), "|", anila.get_num_threads(), "threads")"""),
md("""## An ill-conditioned Gaussian: HMC, and step sizes nobody has to guess
A 50-dimensional Gaussian whose variances run from 1 to 1,000 along rotated axes. With no
`step_size` given, a warm-up tunes it (dual averaging toward the sampler's target acceptance:
0.8 for HMC, 0.574 for MALA), and for HMC estimates a diagonal mass from the warm-up's draws;
both are then frozen, so the kept draws come from one exact chain. `trace=True` returns every
kept step, from which `anila.metrics.ess` counts effective draws."""),
code("""d = 50
q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(d, d)))
cov = q @ np.diag(np.geomspace(1, 1000, d)) @ q.T
target = Gaussian(np.zeros(d), cov)

rows = []
for name, kw in [("MALA", dict(sampler="sgld", adjusted=True)), ("HMC, L = 20", dict(sampler="hmc", leapfrog=20))]:
    tr, info = anila.sample(target, 8, steps=1000, warmup=500, seed=0, trace=True, return_info=True, **kw)
    # ESS of the slowest direction (the largest eigenvalue's), per gradient evaluation
    slow = tr @ q[:, -1]                       # (steps, chains)
    ess = anila.metrics.ess(slow.T)
    grads = 8 * 1000 * info["grad_evals"]
    rows.append((name, info["step_size"], info["accept"], ess, ess / grads))
    print(f"{name:12s} step {info['step_size']:.4f}  acceptance {info['accept']:.2f}  "
          f"ESS (slowest direction) {ess:7.1f}  per 1,000 gradients {1000 * ess / grads:.2f}")"""),
md("""## Well-separated modes: parallel tempering
Four unit Gaussians 10 standard deviations apart with weights 0.1, 0.2, 0.3 and 0.4, every
chain started in the lightest mode. A MALA chain never leaves the mode it starts in, so the
weights it reports are those of the starts. With `replicas=8` the sampler runs copies of each
chain at temperatures from 1 to `max_temperature` (on f/T); hot copies cross between modes and
swaps carry them down; the draws kept are the T = 1 copies'."""),
code("""means = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], float)
weights = np.array([0.1, 0.2, 0.3, 0.4])
mix = Mixture(weights, means, [np.eye(2)] * 4)
start = np.random.default_rng(1).normal(size=(200, 2))

def mode_weights(trace):
    x = trace.reshape(-1, 2)
    nearest = np.argmin(((x[:, None] - means[None]) ** 2).sum(-1), axis=1)
    return np.bincount(nearest, minlength=4) / len(x)

mala = anila.sample(mix, init=start, steps=400, sampler="sgld", adjusted=True, trace=True, seed=2)
pt, info = anila.sample(mix, init=start, steps=400, sampler="sgld", adjusted=True, trace=True, seed=2,
                        replicas=8, max_temperature=60.0, return_info=True)
print("truth               ", weights)
print("MALA                ", mode_weights(mala).round(3))
print("MALA with tempering ", mode_weights(pt).round(3))
print("ladder", info["temperatures"].round(1), "swap rates", info["swap_rates"].round(2))
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
anila.plot.scatter(mala[-1], ax=axes[0], title="MALA", lim=((-4, 14), (-4, 14)))
anila.plot.scatter(pt[-1], ax=axes[1], title="MALA + tempering", lim=((-4, 14), (-4, 14)));"""),
md("""## Conditioning a trained model: inpainting and denoising Fashion-MNIST
Train a ConvNet energy on Fashion-MNIST for a few minutes (Debian's `dataset-fashion-mnist`
package holds the data). Then:
- **inpainting**: hold the top half of each test image fixed with `mask` (True = fixed) and draw
  the lower half, started from noise, given it: p(x_lower | x_top);
- **denoising**: start the chains at noisy images and let the model's sampler pull them toward
  images the model finds likely.

(The test suite runs this notebook with a training budget of a few seconds, so its pictures
there are noise. A few minutes of training give rough lower halves; the README's picture,
from `examples/inpaint_fashion.py --minutes 15`, had about 400 iterations.)"""),
code("""seconds = 240
X = anila.datasets.fashion_mnist("train")
test = anila.datasets.fashion_mnist("test")[:8, None]   # (8, 1, 28, 28): one channel
model = anila.train(X, energy="convnet", iterations=10**9, max_seconds=seconds, buffer_size=2000, seed=0,
                    progress=False)
print(model, "trained for", model.iteration, "iterations")"""),
code("""rng = np.random.default_rng(0)
mask = np.zeros((1, 28, 28), bool)
mask[:, :14] = True                                  # the top half is observed
start = test.copy()
start[:, :, 14:] = rng.uniform(-1, 1, size=start[:, :, 14:].shape)
filled = model.sample(init=start, mask=mask, steps=200, seed=0)
print("top halves unchanged:", bool((filled[:, :, :14] == test[:, :, :14]).all()))

noisy = np.clip(test + 0.3 * rng.normal(size=test.shape), -1, 1).astype(test.dtype)
cleaned = model.sample(init=noisy, steps=50, seed=1)
observed = test.copy()
observed[:, :, 14:] = -1
anila.plot.image_rows({"original": test, "top half": observed, "filled in": filled,
                       "noisy": noisy, "cleaned": cleaned});"""),
]
here = os.path.dirname(os.path.abspath(__file__))
nbf.write(nb, os.path.join(here, "sampling.ipynb"))
