"""`EBM`: the scikit-learn style estimator around `anila.train`."""

from __future__ import annotations

from . import settings
from .model import Model, energy_layers, train


class EBM:
    """An energy-based model estimator: ``EBM(**params).fit(X)``.

    ``__init__`` only stores the parameters (those of `anila.train`, see
    `anila.model_defaults`; an unknown name is a TypeError, as for a function) and checks
    nothing else; `fit` validates, trains and returns self. Fitted attributes: ``model_`` (the
    `Model`), ``n_features_in_``, ``history_`` and ``n_iter_``.

    As in scikit-learn, `get_params` lists every parameter, with its default where it was not
    given (the defaults of the chosen ``energy``), and `set_params` rejects unknown names.
    """

    def __init__(self, progress: bool = False, **params):
        _check_names(params, TypeError)
        self.progress = progress
        self._param_names = sorted(params)
        for k, v in params.items():
            setattr(self, k, v)

    def get_params(self, deep: bool = True) -> dict:
        """Every parameter of the estimator: the given values, and the defaults of the
        chosen energy for the others (an anila.nn or torch net on images gets the image
        defaults; step_size and threshold None: the energy kind's values)."""
        given = {k: getattr(self, k) for k in self._param_names}
        energy = given.get("energy")
        try:
            if energy is None or isinstance(energy, str):
                defaults = settings.defaults(energy or "mlp")
            else:
                defaults = settings.defaults("layers", energy_layers(energy)[0])
        except (TypeError, ValueError):
            defaults = settings.defaults()  # a bad energy is reported by fit; get_params stays total
        return {"progress": self.progress, **defaults, **given}

    def set_params(self, **params) -> "EBM":
        """Set parameters (names as in `get_params`; an unknown one is a ValueError, as in
        scikit-learn); returns self."""
        _check_names(params, ValueError)
        for k, v in params.items():
            if k != "progress" and k not in self._param_names:
                self._param_names = sorted(set(self._param_names) | {k})
            setattr(self, k, v)
        return self

    def fit(self, X, y=None) -> "EBM":
        """Train on X (n, d); y is ignored. Returns self."""
        params = {k: getattr(self, k) for k in self._param_names}
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
        given = {"progress": self.progress} if self.progress else {}
        given.update({k: getattr(self, k) for k in self._param_names})
        inner = ", ".join(f"{k}={v!r}" for k, v in given.items())
        return f"EBM({inner})"


def _check_names(params: dict, exc: type) -> None:
    """Raise exc naming the parameters that EBM does not have."""
    valid = set(settings.names()) | {"progress"}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise exc(f"invalid parameter(s) {unknown} for EBM; valid parameters are {sorted(valid)}")

