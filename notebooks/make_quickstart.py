"""Writes notebooks/quickstart.ipynb (without outputs). Execute it to store outputs:
python -c "import nbformat, nbclient; nb = nbformat.read('quickstart.ipynb', 4);
nbclient.NotebookClient(nb, kernel_name='python3').execute(); nbformat.write(nb, 'quickstart.ipynb')"
The tests (python/tests/test_notebook.py) execute it top to bottom."""
import os

import nbformat as nbf

nb = nbf.v4.new_notebook()
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
nb.cells = [
md("""# anila quick start

This notebook trains an energy-based model p(x) ∝ exp(f(x)) on a 2-D toy set with both
samplers, looks at its samples and density, compares AniLA with SGLD on held-out data, and
saves and reloads a model. It runs in about two minutes on two CPU cores."""),
code("""%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import anila

print("anila", anila.__version__, "|", anila.blas(), "|", anila.get_num_threads(), "threads")"""),
md("""## Data
Four concentric rings (radii 0.75, 1.5, 2.25 and 3, noise 0.08): 10,000 points to train on and
2,000 held-out points to score with."""),
code("""X = anila.datasets.rings(10_000, seed=0)
held = anila.datasets.rings(2_000, seed=1)
print(X.shape, X.dtype)
anila.plot.scatter(X[:3000], title="rings: training data");"""),
md("""## Train with AniLA
`anila.train` runs maximum likelihood with Langevin sampling: each iteration draws chains from a
replay buffer, takes K = 40 sampler steps (and a data-driven jump that lets chains change
modes), and moves θ along ∇θ f(data) − ∇θ f(samples) with Adam. The model keeps a moving
average of θ over the iterations (`ema`), which smooths out the noise of the sampled gradients.
The defaults are tuned on these toy sets; their 6,600 iterations take about 50 seconds.
(The test suite runs this notebook with `iterations` set to a few hundred.)"""),
code("""iterations = anila.model_defaults()["iterations"]   # 6,600
model = anila.train(X, sampler="anila", iterations=iterations, seed=0, progress=False)
model"""),
md("""The history has one entry per iteration. The energy gap f(data) − f(samples) should hover
near zero once the samples look like the data; AniLA's mean step size γ shows how often the
threshold b clips the step."""),
code("""h = model.history
print({k: round(float(np.nanmean(v[-200:])), 4) for k, v in h.items() if k != "iteration"})
anila.plot.history(model, fields=("gap", "grad_norm", "gamma_mean"));"""),
md("""## Sample and look at the density
`sample` continues chains from the replay buffer with the training sampler; the density image
is exp(f) normalised on a grid."""),
code("""Z = model.sample(2000, seed=1)
lim = ((-4, 4), (-4, 4))
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
anila.plot.scatter(Z, ax=axes[0], title="AniLA samples", lim=lim)
anila.plot.landscape(model, lim, ax=axes[1], title="AniLA density");"""),
md("""## Compare the samplers
Train SGLD with the same settings and seed, then score both on the held-out points: MMD² with a
narrow kernel (σ = 0.2; smaller is better, 0 means indistinguishable) and the held-out negative
log-likelihood under the grid-normalised density (smaller is better; the true density scores
about 2.64 nats)."""),
code("""sgld = anila.train(X, sampler="sgld", iterations=iterations, seed=0, progress=False)
rows = []
for name, m in (("AniLA", model), ("SGLD", sgld)):
    Zm = m.sample(2000, seed=1)
    rows.append((name, anila.metrics.mmd(Zm, held), anila.metrics.heldout_nll(m, held, lim)))
print(f"{'sampler':8s} {'MMD² (σ=0.2)':>13s} {'held-out NLL':>13s}")
for name, mmd, nll in rows:
    print(f"{name:8s} {mmd:13.5f} {nll:13.3f}")"""),
code("""anila.plot.compare(X, {"AniLA": model, "SGLD": sgld}, lim=lim);"""),
md("""These are single runs with one seed: differences of a few hundredths of a nat are within
seed-to-seed variation. The study (`make study`) repeats such comparisons over seeds."""),
md("""## Save and load
`save` writes parameters, optimizer state, replay buffer, random state and history atomically,
with a checksum; `load` gives back a model that computes the same energies and can train on."""),
code("""model.save("rings-anila.anila")
back = anila.load("rings-anila.anila")
print(back)
print("same energies:", np.array_equal(back.energy(held), model.energy(held)))
back.fit_more(X, 100, progress=False)
print("iterations after fit_more:", back.iteration)"""),
md("""## Samplers on a known target
Any sampler runs on the analytic energies too, where the answer is known: here an anisotropic
Gaussian with condition number 100, sampled with Metropolis-adjusted AniLA."""),
code("""g = anila.energies.Gaussian(mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 0.01]])
S = anila.sample(g, 4000, sampler="anila", adjusted=True, steps=500, step_size=0.02, threshold=1.0, seed=0)
print("sample covariance:\\n", np.cov(S.T).round(3))"""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbf.write(nb, os.path.join(os.path.dirname(os.path.abspath(__file__)), "quickstart.ipynb"))
