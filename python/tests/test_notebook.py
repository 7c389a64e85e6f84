"""notebooks/quickstart.ipynb runs top to bottom (nbclient + ipykernel), without errors, and
its cells print what the text says they show."""

import os

import pytest


nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "notebooks", "quickstart.ipynb")


def _text(cell):
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o["text"])
        elif "data" in o and "text/plain" in o["data"]:
            out.append(o["data"]["text/plain"])
    return "".join(out)


def _run(path, budgets, tmp_path):
    """Execute the notebook at path with each budget line (old -> new) replaced, after
    checking that each occurs once; return its code cells and their text output."""
    nb = nbformat.read(path, as_version=4)
    for old, new in budgets.items():
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(cells) == 1, f"the notebook's budget line {old!r} changed: update the test's budget"
        cells[0].source = cells[0].source.replace(old, new)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "a cell did not run"
    return code, "\n".join(_text(c) for c in code)


#: The notebook's training budget here (its own is the defaults' 6,600 iterations).
ITERATIONS = 100
BUDGET = 'iterations = anila.model_defaults()["iterations"]   # 6,600'


def test_quickstart_notebook_runs(tmp_path):
    """The notebook runs on a small budget: its line that sets the iteration count is
    replaced, and nothing else."""
    code, texts = _run(NOTEBOOK, {BUDGET: f"iterations = {ITERATIONS}"}, tmp_path)
    assert "same energies: True" in texts
    assert f"iterations after fit_more: {ITERATIONS + 100}" in texts  # the run, then 100 more
    assert "AniLA" in texts and "SGLD" in texts
    images = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert images >= 4, f"{images} figures"  # data, history, samples|density, comparison
    assert (tmp_path / "rings-anila.anila").exists()


SAMPLING = os.path.join(os.path.dirname(__file__), "..", "..", "notebooks", "sampling.ipynb")
#: The sampling notebook's training budget, in seconds, here (its own is 240).
SAMPLING_BUDGET = "seconds = 240"


def test_sampling_notebook_runs(tmp_path):
    """The sampling notebook runs with a few seconds of training: HMC and MALA report their
    adapted steps, tempering recovers the mode weights that MALA misses, and inpainting
    leaves the observed halves unchanged."""
    code, texts = _run(SAMPLING, {SAMPLING_BUDGET: "seconds = 3"}, tmp_path)
    assert "HMC, L = 20" in texts and "MALA" in texts
    assert "top halves unchanged: True" in texts
    tempered = [ln for ln in texts.splitlines() if ln.startswith("MALA with tempering")][0]
    w = [float(v) for v in tempered.split("[")[1].split("]")[0].split()]
    assert max(abs(a - b) for a, b in zip(w, (0.1, 0.2, 0.3, 0.4))) < 0.05, tempered
    images = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert images >= 2, f"{images} figures"


EVALUATION = os.path.join(os.path.dirname(__file__), "..", "..", "notebooks", "evaluation.ipynb")
#: The evaluation notebook's budgets, replaced here: its rings iterations, its Fashion-MNIST
#: training seconds and AIS distributions.
EVALUATION_BUDGETS = {"iterations = 1500": "iterations = 100", "seconds = 120": "seconds = 2",
                      "distributions = 300": "distributions = 20"}


def test_evaluation_notebook_runs(tmp_path):
    """The evaluation notebook runs on a small budget: AIS reports a bracket beside the grid's
    log Z, bits per dimension come out, the OOD table has its three rows, and the
    diagnostic figures are drawn."""
    code, texts = _run(EVALUATION, EVALUATION_BUDGETS, tmp_path)
    assert "log Z in [" in texts and "grid quadrature:" in texts
    assert "bits/dim" in texts and "held-out NLL" in texts
    for row in ("uniform noise", "digits (scikit-learn, 28×28)", "Fashion-MNIST upside down"):
        assert row in texts
    images = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert images >= 3, f"{images} figures"  # energy histogram, history, chains
