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

import contextlib
import hashlib
import json
import signal
import threading
import time

import numpy as np

from ._chunks import Interrupted
from ._lib import capi, cfunc, ptr
from .errors import DistributedError


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank `rank`'s random stream in a run seeded with `seed` (Go's
    run.RankSeed): `seed` itself on rank 0, so one process reproduces single-process
    training, a well-mixed other seed on the other ranks."""
    return int(capi.RankSeed(int(seed), int(rank)))


def rank_buffer_size(buffer_size: int, size: int) -> int:
    """Each rank's share of a replay buffer of buffer_size chains over `size` ranks (rounded
    up), as Go's run resolution gives it."""
    return -(-int(buffer_size) // int(size))


class Coordinator:
    """What a training run needs of the processes it runs on, with nothing to do for one
    process (`Local`); `Communicator` does it across ranks. The run calls these in order:
    `check` each rank's own errors, `merge_summary` of the data, `agree_on_settings`,
    `share_parameters`, then per chunk `agree` (through `chunks`) and `after_chunk`, with
    `gradient_hook` installed and checkpoints written by `write_checkpoint`."""

    rank = 0
    size = 1

    def check(self, error: Exception | None) -> None:
        """Raise error (on every rank, when any rank has one). A collective."""
        if error is not None:
            raise error

    def merge_summary(self, flat: np.ndarray) -> np.ndarray:
        """The data summary (Go's run.Summary in its flat form) of every rank's shard."""
        return flat

    def agree_on_settings(self, settings: dict) -> None:
        """Check that every rank resolved the same settings; ValueError naming those that differ."""

    def share_parameters(self, model) -> None:
        """Give every rank rank 0's parameters."""

    def after_chunk(self, model, start: int, stop: int) -> None:
        """After iterations [start, stop): reduce their history and check that ranks agree."""

    def check_in_step(self, model) -> None:
        """Check that every rank holds the same parameters at the same iteration."""

    @contextlib.contextmanager
    def chunks(self, deadline):
        """A context giving the `agree` of chunked training (None: every rank decides alone)."""
        yield None

    def gradient_hook(self):
        """The gradient hook that averages gradients across ranks, or None."""
        return None

    def write_checkpoint(self, model, path: str) -> None:
        """Write the run's checkpoint: the model to path (and each rank's own state beside it)."""
        model.save(path)


class Local(Coordinator):
    """One process: nothing to agree on."""


class Communicator(Coordinator):
    """A run across processes (`wrap` makes one): its rank and size, in-place allreduce and
    broadcast of NumPy arrays, gathering small Python objects, and the `Coordinator` steps
    built on them."""

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

    # -- the Coordinator steps --------------------------------------------------------------
    def check(self, error):
        text = None if error is None else f"{type(error).__name__}: {error}"
        everyone = self.allgather(text)
        failed = [f"rank {r}: {t}" for r, t in enumerate(everyone) if t is not None]
        if failed:
            if error is not None and len(failed) == 1:
                raise error
            raise ValueError("data-parallel training cannot start: " + "; ".join(failed))

    def merge_summary(self, flat):
        out = np.array(flat, dtype=np.float64)  # a copy; its slices are contiguous, reduced in place
        d = (out.size - 1) // 4
        self.allreduce(out[:1 + 2 * d], "sum")
        self.allreduce(out[1 + 2 * d:1 + 3 * d], "min")
        self.allreduce(out[1 + 3 * d:], "max")
        return out

    def agree_on_settings(self, settings):
        everyone = self.allgather(json.dumps(settings, sort_keys=True, default=str))
        ref = json.loads(everyone[0])
        diffs = []
        for r, s in enumerate(everyone[1:], start=1):
            mine = json.loads(s)
            for k in sorted(set(ref) | set(mine)):
                if ref.get(k) != mine.get(k):
                    diffs.append(f"rank {r} has {k}={mine.get(k)!r} where rank 0 has {ref.get(k)!r}")
        if diffs:
            raise ValueError("data-parallel training needs the same data dimension and training settings on every "
                             "rank: " + "; ".join(diffs))

    def share_parameters(self, model):
        if self.size == 1:
            return
        p = model.parameters()
        self.bcast(p)
        model.set_parameters(p)
        p = model.parameters(training=True)
        self.bcast(p)
        model.set_parameters(p, training=True)
        s = model.spectral_state()
        if s.size:
            self.bcast(s)
            model.set_spectral_state(s)

    def after_chunk(self, model, start, stop):
        self._reduce_history(model, start, stop)
        self.check_in_step(model)

    def _reduce_history(self, model, start, stop):
        """Replace history entries [start, stop) of every rank's model with their reduction
        across ranks: the mean, the minimum of gamma_min and the maximum of gamma_max and
        seconds (the slowest rank sets the pace)."""
        n = stop - start
        if n <= 0 or self.size == 1:
            return
        h = model._handle()
        fields = model._meta()["history_fields"]
        cols = np.empty((len(fields), n), dtype=np.float64)
        for i in range(len(fields)):
            cfunc("anila_history", h, i, ptr(cols[i]), start, n, 0)
        for op in ("sum", "min", "max"):
            idx = [i for i, f in enumerate(fields) if _HISTORY_OPS.get(f, "sum") == op]
            block = np.ascontiguousarray(cols[idx])
            self.allreduce(block, op)
            if op == "sum":
                block /= self.size
            cols[idx] = block
        for i in range(len(fields)):
            cfunc("anila_history", h, i, ptr(cols[i]), start, n, 1)

    def check_in_step(self, model):
        if self.size == 1:
            return
        digest = hashlib.blake2b(model.parameters(training=True).tobytes() + model.parameters().tobytes(),
                                 digest_size=16).hexdigest()
        everyone = self.allgather((model.iteration, digest))
        if any(e != everyone[0] for e in everyone):
            raise RuntimeError("data-parallel training lost step: (iteration, parameter digest) per rank = "
                               f"{everyone}; every rank should hold the same. This is a bug in anila or in "
                               "the communicator's allreduce")

    @contextlib.contextmanager
    def chunks(self, deadline):
        """Chunk sizes and the deadline are rank 0's; Ctrl-C on any rank (caught by a handler
        installed here, in the main thread) stops every rank before the same chunk."""
        flag = [False]
        old = None
        if threading.current_thread() is threading.main_thread():
            def on_sigint(signum, frame):
                flag[0] = True

            old = signal.signal(signal.SIGINT, on_sigint)

        def agree(n, done):
            late = deadline is not None and done > 0 and time.perf_counter() >= deadline
            everyone = self.allgather((int(n), bool(late), bool(flag[0])))
            interrupted = any(e[2] for e in everyone)
            if interrupted:
                raise Interrupted(done)
            return everyone[0][0], everyone[0][1]

        try:
            yield agree
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)

    def gradient_hook(self):
        size = self.size

        def hook(iteration, grad):
            t0 = time.perf_counter()
            try:
                self.allreduce(grad)
            except DistributedError as exc:
                raise DistributedError(f"iteration {iteration}, the gradient's allreduce: {exc}") from exc.__cause__
            self.allreduce_seconds += time.perf_counter() - t0
            self.allreduce_calls += 1
            if size > 1:
                grad /= size

        return hook

    def write_checkpoint(self, model, path):
        """Rank 0's checkpoint file is the model; every other rank writes its chains, buffer
        and random state to `rank_checkpoint(path, rank)` first."""
        if self.size == 1:
            model.save(path)
            return
        if self.rank > 0:
            model.save(rank_checkpoint(path, self.rank))
        self.allgather(None)  # every rank's state is written before rank 0's model
        if self.rank == 0:
            model.save(path)


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


def wrap(comm) -> Coordinator:
    """The Coordinator for what `anila.train(comm=...)` was given: None (`Local`, one
    process), an mpi4py communicator, a torch.distributed process group, "torch" (the default
    group) or a Coordinator; anything else is a TypeError naming its type."""
    if comm is None:
        return Local()
    if isinstance(comm, Coordinator):
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



#: How each history field is reduced across ranks (the others: the mean).
_HISTORY_OPS = {"gamma_min": "min", "gamma_max": "max", "seconds": "max"}


def rank_checkpoint(path: str, rank: int) -> str:
    """The file holding rank `rank`'s part of a data-parallel checkpoint at path (rank 0's is
    path itself: the model)."""
    return path if rank == 0 else f"{path}.rank{rank}"
