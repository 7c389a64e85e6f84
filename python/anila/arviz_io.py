"""anila's chains as ArviZ data (arviz-base; `pip install 'anila[arviz]'` brings it and
arviz-stats, whose `summary` then works on them)."""

from __future__ import annotations

import numpy as np


def to_arviz(trace, names=None, group: str = "posterior"):
    """An ArviZ DataTree of a sampling trace: trace (steps, chains, dim) as
    `Model.sample(..., trace=True)` or `anila.sample(..., trace=True)` return it (image
    traces are flattened to dim), or a dict {name: (steps, chains[, ...])} of several. The
    variable is "x" with a dimension "x_dim" (names: one name per coordinate instead, as
    separate variables). Needs arviz-base."""
    try:
        import arviz_base as azb
    except ImportError:
        raise ImportError("to_arviz needs arviz-base: pip install 'anila[arviz]'") from None
    if isinstance(trace, dict):
        data = {k: np.swapaxes(np.asarray(v), 0, 1) for k, v in trace.items()}
        for k, v in data.items():
            if v.ndim < 2:
                raise ValueError(f"trace {k!r} must be (steps, chains, ...), got shape {np.shape(trace[k])}")
        return azb.from_dict({group: data})
    t = np.asarray(trace)
    if t.ndim == 2:
        t = t[:, :, None]
    if t.ndim > 3:
        t = t.reshape(t.shape[0], t.shape[1], -1)
    if t.ndim != 3:
        raise ValueError(f"trace must be (steps, chains, dim), got shape {np.shape(trace)}")
    t = np.swapaxes(t, 0, 1)  # ArviZ's (chain, draw, ...)
    if names is not None:
        names = list(names)
        if len(names) != t.shape[2]:
            raise ValueError(f"names has {len(names)} entries, the trace {t.shape[2]} coordinates")
        return azb.from_dict({group: {n: t[:, :, i] for i, n in enumerate(names)}})
    return azb.from_dict({group: {"x": t}}, dims={"x": ["x_dim"]})
