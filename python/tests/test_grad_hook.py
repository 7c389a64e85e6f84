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
