"""`EBM`: the scikit-learn style estimator around `anila.train`."""

from __future__ import annotations

from . import _config
from .model import Model, train


class EBM:
    """An energy-based model estimator: ``EBM(**params).fit(X)``.

    ``__init__`` only stores the parameters (those of `anila.train`); `fit` trains and
    returns self. Fitted attributes: ``model_`` (the `Model`), ``n_features_in_``,
    ``history_`` and ``n_iter_``.
    """

    def __init__(self, progress: bool = False, **params):
        self.progress = progress
        self._param_names = sorted(params)
        for k, v in params.items():
            setattr(self, k, v)

    def get_params(self, deep: bool = True) -> dict:
        """The estimator's parameters, as scikit-learn expects."""
        out = {"progress": self.progress}
        for k in self._param_names:
            out[k] = getattr(self, k)
        return out

    def set_params(self, **params) -> "EBM":
        """Set parameters; returns self."""
        for k, v in params.items():
            if k != "progress" and k not in self._param_names:
                self._param_names = sorted(set(self._param_names) | {k})
            setattr(self, k, v)
        return self

    def fit(self, X, y=None) -> "EBM":
        """Train on X (n, d); y is ignored. Returns self."""
        params = {k: getattr(self, k) for k in self._param_names}
        _config.resolve(params)  # validate before anything runs
        self.model_ = train(X, progress=self.progress, **params)
        self.n_features_in_ = self.model_.dim
        self.history_ = self.model_.history
        self.n_iter_ = self.model_.iteration
        return self

    def _fitted(self) -> Model:
        if not hasattr(self, "model_"):
            raise ValueError("this EBM is not fitted yet: call fit(X) first")
        return self.model_

    def sample(self, n: int, **kwargs):
        """Draw n samples from the fitted model (see `Model.sample`)."""
        return self._fitted().sample(n, **kwargs)

    def score_samples(self, X):
        """The unnormalised log density f(x) of each row of X."""
        return self._fitted().energy(X)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"EBM({inner})"
