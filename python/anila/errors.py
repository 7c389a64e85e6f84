"""anila's exceptions."""

from __future__ import annotations


class DivergenceError(RuntimeError):
    """Training produced a non-finite energy, gradient or parameter.

    ``iteration`` is the iteration that failed (its update was not applied) and ``history``
    the training history up to it; the model keeps its last finite parameters.
    """

    def __init__(self, message: str, iteration: int | None = None, history: dict | None = None):
        super().__init__(message)
        self.iteration = iteration
        self.history = history or {}


class DistributedError(RuntimeError):
    """Data-parallel training failed because a collective operation failed: another process
    stopped or the communicator broke. The model keeps the last iteration every rank
    completed; the last checkpoint resumes the run."""
