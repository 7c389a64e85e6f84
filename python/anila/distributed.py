"""Data-parallel training across processes: what `anila.train(X_local, ..., comm=comm)` runs on.

Every process (rank) passes its own shard of the data and keeps its own Langevin chains,
replay buffer and random stream (the seed mixed with the rank, `rank_seed`). The parameters
start as rank 0's; in every iteration the parameter gradient is summed across ranks by the
communicator's allreduce, in place on anila's gradient buffer (no copy), and divided by the
number of ranks, so every rank takes the same optimizer step and holds bit-identical
parameters throughout (checked after every chunk of iterations). `batch_size` is per rank:
with R ranks an iteration uses R × batch_size data points and as many chains. `buffer_size`
is the whole run's: each rank keeps 1/R of the replay buffer (`rank_buffer_size`), so that
each persistent chain is refreshed as often as in one process with batch R × batch_size.

Two engines are supported, both of which start fresh processes (anila's Go runtime does not
survive fork):

- MPI through mpi4py: pass an `mpi4py.MPI.Comm` such as `MPI.COMM_WORLD`; launch with
  ``mpiexec -n 4 python -m mpi4py train.py`` or Slurm's ``srun``. (``-m mpi4py`` aborts the
  whole job when one rank raises, instead of leaving the others waiting.)
- torch.distributed: pass a process group, or ``"torch"`` for the default one, after
  ``torch.distributed.init_process_group("gloo", timeout=...)``; launch with ``torchrun``.
  End with ``torch.distributed.destroy_process_group()``: gloo's threads must stop before the
  interpreter exits, or the process may abort on its way out.

Stopping is agreed: the deadline (`max_seconds`) and the size of each chunk of iterations
come from rank 0, Ctrl-C on any rank stops every rank after the same iteration, and a
divergence on any rank reaches the others through the allreduce (as a non-finite gradient),
so all roll back or fail at the same iteration. A rank that dies makes the others fail with
`DistributedError` (torch.distributed: at once or after the group's timeout; MPI: the
launcher ends the job).
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np

from .errors import DistributedError

#: The largest seed anila takes, plus one (seeds are 63-bit).
_SEED_SPAN = 1 << 63


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank `rank`'s random stream in a run seeded with `seed`: `seed` itself on
    rank 0 (so one process reproduces single-process training), a well-mixed other seed on
    the other ranks."""
    if rank == 0:
        return int(seed)
    return (int(seed) + rank * 0x9E3779B97F4A7C15) % _SEED_SPAN


def rank_buffer_size(buffer_size: int, size: int) -> int:
    """Each rank's share of a replay buffer of buffer_size chains over `size` ranks (rounded
    up)."""
    return -(-int(buffer_size) // int(size))


class Communicator:
    """What anila needs of a communicator (`wrap` makes one): its rank and size, in-place
    allreduce and broadcast of NumPy arrays, and gathering small Python objects."""

    #: "mpi" or "torch".
    backend = ""

    def __init__(self, rank: int, size: int):
        self.rank = int(rank)
        self.size = int(size)
        #: Seconds spent in the gradient allreduce, and how many there were (for benchmarks).
        self.allreduce_seconds = 0.0
        self.allreduce_calls = 0

    def allreduce(self, a: np.ndarray, op: str = "sum") -> None:
        """Reduce a (a contiguous float32 or float64 array) across ranks in place, op one of
        "sum", "min", "max"."""
        self._guarded("an allreduce", self._allreduce, a, op)

    def bcast(self, a: np.ndarray) -> None:
        """Overwrite a on every rank with rank 0's a."""
        self._guarded("a broadcast", self._bcast, a)

    def allgather(self, obj) -> list:
        """Every rank's obj (small, picklable), in rank order."""
        return self._guarded("an allgather", self._allgather, obj)

    def _guarded(self, what, fn, *args):
        """fn(*args), a failure of which becomes DistributedError saying what failed where."""
        try:
            return fn(*args)
        except Exception as exc:
            raise DistributedError(
                f"rank {self.rank} of {self.size}: {what} over {self.backend} failed ({type(exc).__name__}: "
                f"{exc}); another process has probably stopped. The model keeps the last iteration every "
                "rank completed; anila.resume(checkpoint, X_local, comm=...) continues from the last "
                "checkpoint") from exc

    def __repr__(self) -> str:
        return f"<anila.distributed.Communicator {self.backend} rank {self.rank} of {self.size}>"


class MPICommunicator(Communicator):
    """An mpi4py communicator."""

    backend = "mpi"

    def __init__(self, comm):
        from mpi4py import MPI

        super().__init__(comm.Get_rank(), comm.Get_size())
        self._c = comm
        self._MPI = MPI
        self._ops = {"sum": MPI.SUM, "min": MPI.MIN, "max": MPI.MAX}

    def _allreduce(self, a, op):
        self._c.Allreduce(self._MPI.IN_PLACE, a, op=self._ops[op])

    def _bcast(self, a):
        self._c.Bcast(a, root=0)

    def _allgather(self, obj):
        return self._c.allgather(obj)


class TorchCommunicator(Communicator):
    """A torch.distributed process group (None: the default group)."""

    backend = "torch"

    def __init__(self, group=None):
        import torch
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            raise ValueError("comm='torch' needs torch.distributed initialised first: call "
                             "torch.distributed.init_process_group('gloo', timeout=...) in every process "
                             "(torchrun sets the addresses)")
        super().__init__(dist.get_rank(group), dist.get_world_size(group))
        self._g = group
        self._dist = dist
        self._torch = torch
        self._root = 0 if group is None else dist.get_global_rank(group, 0)
        self._ops = {"sum": dist.ReduceOp.SUM, "min": dist.ReduceOp.MIN, "max": dist.ReduceOp.MAX}

    def _allreduce(self, a, op):
        self._dist.all_reduce(self._torch.from_numpy(a), op=self._ops[op], group=self._g)

    def _bcast(self, a):
        self._dist.broadcast(self._torch.from_numpy(a), src=self._root, group=self._g)

    def _allgather(self, obj):
        out = [None] * self.size
        self._dist.all_gather_object(out, obj, group=self._g)
        return out


def wrap(comm) -> Communicator | None:
    """A Communicator for what `anila.train(comm=...)` was given: None, an mpi4py
    communicator, a torch.distributed process group, "torch" (the default group) or a
    Communicator; anything else is a TypeError naming its type."""
    if comm is None or isinstance(comm, Communicator):
        return comm
    if isinstance(comm, str):
        if comm == "torch":
            return TorchCommunicator(None)
        raise ValueError(f"comm must be 'torch', an mpi4py communicator or a torch.distributed process group, got {comm!r}")
    module = type(comm).__module__ or ""
    if module.startswith("mpi4py"):
        from mpi4py import MPI

        if isinstance(comm, MPI.Intracomm):
            return MPICommunicator(comm)
    if module.startswith("torch"):
        import torch.distributed as dist

        if isinstance(comm, dist.ProcessGroup):
            return TorchCommunicator(comm)
    raise TypeError(f"comm must be an mpi4py intracommunicator (e.g. MPI.COMM_WORLD), a torch.distributed "
                    f"process group or 'torch', got {type(comm).__module__}.{type(comm).__qualname__}")


def agree_on_start(c: Communicator, error: Exception | None, summary: dict) -> None:
    """Check, before any training, that no rank failed its own checks (`error`) and that every
    rank has rank 0's `summary` (data dimension, dtype, training settings); otherwise raise
    ValueError on every rank naming the ranks and the settings that differ. A collective:
    every rank must call it, even one whose checks failed."""
    text = None if error is None else f"{type(error).__name__}: {error}"
    everyone = c.allgather((text, json.dumps(summary, sort_keys=True, default=str)))
    failed = [f"rank {r}: {t}" for r, (t, _) in enumerate(everyone) if t is not None]
    if failed:
        if error is not None and len(failed) == 1:
            raise error
        raise ValueError("data-parallel training cannot start: " + "; ".join(failed))
    ref = _flat(json.loads(everyone[0][1]))
    diffs = []
    for r, (_, s) in enumerate(everyone[1:], start=1):
        mine = _flat(json.loads(s))
        for k in sorted(set(ref) | set(mine)):
            if ref.get(k) != mine.get(k):
                diffs.append(f"rank {r} has {k}={mine.get(k)!r} where rank 0 has {ref.get(k)!r}")
    if diffs:
        raise ValueError("data-parallel training needs the same data dimension and training settings on every "
                         "rank: " + "; ".join(diffs))


def _flat(d: dict) -> dict:
    """A summary with its nested dicts' entries brought up to the top level, so that a
    difference is reported by the setting's own name."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v))
        else:
            out[k] = v
    return out


def gather_stats(c: Communicator, stats: dict) -> dict:
    """The data statistics (anila._config.data_stats) of the union of every rank's shard."""
    from ._config import pooled_stats

    if c.size == 1:
        return stats
    return pooled_stats(c.allgather(stats))


def gradient_hook(c: Communicator):
    """The gradient hook of data-parallel training: sum the gradient across ranks in place,
    then divide by the number of ranks. A failed allreduce becomes DistributedError."""
    size = c.size

    def hook(iteration, grad):
        t0 = time.perf_counter()
        try:
            c.allreduce(grad)
        except DistributedError as exc:
            raise DistributedError(f"iteration {iteration}, the gradient's allreduce: {exc}") from exc.__cause__
        c.allreduce_seconds += time.perf_counter() - t0
        c.allreduce_calls += 1
        if size > 1:
            grad /= size

    return hook


#: How each history field is reduced across ranks (the others: the mean).
_HISTORY_OPS = {"gamma_min": "min", "gamma_max": "max", "seconds": "max"}


def reduce_history(c: Communicator, model, start: int, stop: int) -> None:
    """Replace history entries [start, stop) of every rank's model with their reduction
    across ranks: the mean, the minimum of gamma_min and the maximum of gamma_max and
    seconds (the slowest rank sets the pace)."""
    from ._lib import cfunc, ptr

    n = stop - start
    if n <= 0 or c.size == 1:
        return
    h = model._handle()
    fields = model._meta()["history_fields"]
    cols = np.empty((len(fields), n), dtype=np.float64)
    for i in range(len(fields)):
        cfunc("anila_history", h, i, ptr(cols[i]), start, n, 0)
    for op in ("sum", "min", "max"):
        idx = [i for i, f in enumerate(fields) if _HISTORY_OPS.get(f, "sum") == op]
        block = np.ascontiguousarray(cols[idx])
        c.allreduce(block, op)
        if op == "sum":
            block /= c.size
        cols[idx] = block
    for i in range(len(fields)):
        cfunc("anila_history", h, i, ptr(cols[i]), start, n, 1)


def share_parameters(c: Communicator, model) -> None:
    """Give every rank rank 0's parameters: the model's (their moving average under ema),
    the training parameters, and the spectral normalisation vectors."""
    if c.size == 1:
        return
    p = model.parameters()
    c.bcast(p)
    model.set_parameters(p)
    p = model.parameters(training=True)
    c.bcast(p)
    model.set_parameters(p, training=True)
    s = model.spectral_state()
    if s.size:
        c.bcast(s)
        model.set_spectral_state(s)


def check_in_step(c: Communicator, model) -> None:
    """Raise RuntimeError on every rank unless all ranks are at the same iteration with
    bit-identical parameters (a digest of them is gathered)."""
    if c.size == 1:
        return
    digest = hashlib.blake2b(model.parameters(training=True).tobytes() + model.parameters().tobytes(),
                             digest_size=16).hexdigest()
    everyone = c.allgather((model.iteration, digest))
    if any(e != everyone[0] for e in everyone):
        raise RuntimeError("data-parallel training lost step: (iteration, parameter digest) per rank = "
                           f"{everyone}; every rank should hold the same. This is a bug in anila or in "
                           "the communicator's allreduce")


def agree_on_chunk(c: Communicator, n: int, stop: bool, interrupted: bool) -> tuple[int, bool, bool]:
    """The next chunk of iterations, as every rank will run it: rank 0's size n and its
    deadline decision `stop`; Ctrl-C (`interrupted`) on any rank stops every rank. Returns
    (n, stop, interrupted)."""
    everyone = c.allgather((int(n), bool(stop), bool(interrupted)))
    any_int = any(e[2] for e in everyone)
    return everyone[0][0], everyone[0][1] or any_int, any_int
