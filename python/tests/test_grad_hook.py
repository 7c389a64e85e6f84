"""Model.set_grad_hook: Python sees and may change each iteration's parameter gradient, in
place on anila's buffer (the mechanism of data-parallel training)."""

import numpy as np
import pytest

import anila
from conftest import FAST


def _model(lr):
    return anila.new_model(2, optimizer="sgd", lr=lr, momentum=0.0, seed=4, **{k: v for k, v in FAST.items() if k != "progress"})


def test_doubling_the_gradient_is_doubling_the_learning_rate(rings):
    """Under plain SGD, a hook that doubles the gradient gives bit for bit the parameters of
    twice the learning rate; the hook sees iterations 1, 2, ... with the gradient in the
    parameters' order and the model's dtype."""
    seen = []

    def double(it, g):
        seen.append((it, g.dtype, g.size))
        g *= 2

    hooked = _model(0.01)
    hooked.set_grad_hook(double)
    hooked.fit_more(rings, 12, progress=False)
    twice = _model(0.02)
    twice.fit_more(rings, 12, progress=False)
    np.testing.assert_array_equal(hooked.parameters(), twice.parameters())
    assert [s[0] for s in seen] == list(range(1, 13))
    assert seen[0][1] == np.float32 and seen[0][2] == hooked.parameters().size
    plain = _model(0.01)
    plain.fit_more(rings, 12, progress=False)
    assert not np.array_equal(plain.parameters(), hooked.parameters())
    hooked.set_grad_hook(None)  # removed: training goes on as without
    hooked.fit_more(rings, 2, progress=False)
    assert len(seen) == 12


class PeerGone(Exception):
    pass


def test_exception_in_hook_stops_training(rings):
    """An exception in the hook comes back as itself; the failing iteration is undone."""
    err = PeerGone("rank 1 vanished")

    def hook(it, g):
        if it == 4:
            raise err

    m = _model(0.01)
    m.set_grad_hook(hook)
    with pytest.raises(PeerGone) as info:
        m.fit_more(rings, 10, progress=False)
    assert info.value is err and m.iteration == 3
    ref = _model(0.01)
    ref.fit_more(rings, 3, progress=False)
    np.testing.assert_array_equal(m.parameters(), ref.parameters())
    with pytest.raises(TypeError, match="callable"):
        m.set_grad_hook(42)


def test_hook_may_read_its_model_and_may_not_change_it(tmp_path):
    """A hook that reads its own model (iteration, parameters, history) works: it used to
    deadlock, the model's lock being held across the callback. A change from inside the hook
    is refused with a clear error, which stops training. Run in a child with a watchdog, so
    that a deadlock fails the test instead of hanging it."""
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "hook.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import anila
        X = anila.datasets.rings(500, seed=0)
        m = anila.new_model(2, hidden=(8,), steps=3, batch_size=16, buffer_size=100, seed=1)
        seen = []
        def read(it, g):
            seen.append((it, m.iteration, m.parameters().size == g.size, len(m.history["gap"])))
        m.set_grad_hook(read)
        m.fit_more(X, 3, progress=False)
        print("read", seen, flush=True)
        def change(it, g):
            m.set_parameters(m.parameters())
        m.set_grad_hook(change)
        try:
            m.fit_more(X, 1, progress=False)
        except ValueError as exc:
            print("refused", m.iteration, exc, flush=True)
    """))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    # the hook runs before the iteration counts: it sees the iterations done so far
    assert lines[0] == "read [(1, 0, True, 0), (2, 1, True, 1), (3, 2, True, 2)]", p.stdout
    assert lines[1].startswith("refused 3 ") and "gradient hook" in lines[1], p.stdout
