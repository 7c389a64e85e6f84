"""One process of a data-parallel test run, started by test_distributed.py under mpiexec
(--backend mpi) or torchrun (--backend torch). Rank 0 writes what it found to --out as JSON.

Modes:
  equal     train with comm, one iteration per chunk; every rank's parameter digest after
            every iteration and its history are gathered (and, --compare, a run without comm
            on rank 0's data is compared with a 1-process run)
  grad      the averaged gradient of one float64 iteration against the per-rank gradients
            recomputed one rank at a time, without communication, on rank 0
  quality   rings: held-out MMD and NLL of a model trained with comm
  kill      train with checkpoints; rank --victim kills itself with SIGKILL at iteration 55
  resume    continue the checkpointed run (--checkpoint) with comm
  stop      --what deadline: max_seconds=0.5 on a long run; --what sigint: rank 1 gets SIGINT
            at iteration 30; every rank's iteration and parameter digest are gathered
  mismatch  rank 1 passes data of another dimension (--what dim) or another lr (--what lr)
"""

import argparse
import hashlib
import json
import os
import signal
import sys

import numpy as np

import anila
import anila._chunks
from anila import metrics

KW = dict(hidden=(32, 32), steps=10, batch_size=32, buffer_size=400, progress=False,
          clamp=(-5.0, 5.0), noise_box=(-4.0, 4.0))


def digest(a):
    return hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=8).hexdigest()


def communicator(backend):
    if backend == "mpi":
        from mpi4py import MPI

        return MPI.COMM_WORLD, MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
    import datetime

    import torch.distributed as dist

    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=30))
    return "torch", dist.get_rank(), dist.get_world_size()


def gather(comm, obj):
    return anila.distributed.wrap(comm).allgather(obj)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--backend", default="mpi")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--checkpoint")
    ap.add_argument("--victim", type=int, default=1)
    ap.add_argument("--what", default="dim")
    ap.add_argument("--buffer", type=int, default=None)
    ap.add_argument("--compare", action="store_true")
    a = ap.parse_args()
    anila.set_num_threads(1)
    comm, rank, size = communicator(a.backend)
    X = anila.datasets.rings(1200, seed=1)
    shard = X[rank::size]
    out = {}

    if a.mode == "equal":
        anila._chunks.CHUNK_SECONDS = 1e-9  # one iteration per chunk: the callback sees each
        seen = []
        kw = dict(KW, iterations=a.iterations, seed=a.seed)
        m = anila.train(shard, comm=comm, callback=lambda mod, h: seen.append((mod.iteration, digest(mod.parameters()))), **kw)
        hist = {k: v.tolist() for k, v in m.history.items()}
        everyone = gather(comm, (seen, digest(m.parameters()), hist, rank))
        if rank == 0:
            out["digests"] = [e[0] for e in everyone]
            out["final"] = [e[1] for e in everyone]
            out["same_history"] = all(e[2] == everyone[0][2] for e in everyone)
            if a.compare:  # a communicator of size 1 against no communicator
                ref = anila.train(shard, **kw)
                out["no_comm_same_params"] = bool(np.array_equal(ref.parameters(), m.parameters()))
                rh = ref.history
                out["no_comm_same_history"] = all(np.array_equal(rh[k], m.history[k]) for k in rh if k != "seconds")

    elif a.mode == "grad":
        # standardize and jump off: the one-process recomputation below would otherwise take
        # its own shard's statistics for the input scale and the jump width, not the pooled ones
        kw = dict(KW, dtype="float64", seed=a.seed, optimizer="sgd", lr=0.01, momentum=0.0, standardize=False, jump=0.0)
        m = anila.train(shard, comm=comm, iterations=0, **kw)
        start = m.parameters()
        got = []
        m.set_grad_hook(lambda it, g: got.append(g.copy()))
        m.fit_more(shard, 2, progress=False, comm=comm)
        if rank == 0:
            # Rank r's first iteration recomputed here, alone: its seed, its shard, rank 0's
            # starting parameters, no communication.
            per_rank = []
            for r in range(size):
                mine = dict(kw, seed=anila.distributed.rank_seed(a.seed, r),
                            buffer_size=anila.distributed.rank_buffer_size(kw["buffer_size"], size))
                one = anila.train(X[r::size], iterations=0, **mine)
                one.set_parameters(start)
                g1 = []
                one.set_grad_hook(lambda it, g: g1.append(g.copy()))
                one.fit_more(X[r::size], 1, progress=False)
                per_rank.append(g1[0])
            mean = np.mean(per_rank, axis=0)
            out["max_abs_diff"] = float(np.abs(mean - got[0]).max())
            out["grad_scale"] = float(np.abs(mean).max())
            out["per_rank_differ"] = bool(size == 1 or not np.array_equal(per_rank[0], per_rank[1]))

    elif a.mode == "quality":
        held = anila.datasets.rings(2000, seed=99)
        data = anila.datasets.rings(8000, seed=a.seed)
        extra = {} if a.buffer is None else {"buffer_size": a.buffer}
        # the settings of the measurements in test_distributed.py (the defaults before the
        # jumps, the deeper net and the parameter average, four times cheaper per iteration)
        extra.update(hidden=(128, 128), activation="leakyrelu", steps=20, jump=0.0, standardize=False, ema=0.0)
        m = anila.train(data[rank::size], comm=comm, iterations=a.iterations, batch_size=a.batch, seed=a.seed,
                        progress=False, **extra)
        if rank == 0:
            Z = m.sample(2000, seed=a.seed + 7)
            lim = ((-4.5, 4.5), (-4.5, 4.5))
            out.update(mmd=metrics.mmd(Z, held), nll=metrics.heldout_nll(m, held, lim))

    elif a.mode in ("kill", "resume"):
        kw = dict(KW, iterations=a.iterations, seed=a.seed)
        if a.mode == "kill":
            victim = rank == a.victim

            def die(mod, hist):
                if victim and mod.iteration >= 55:
                    os.kill(os.getpid(), signal.SIGKILL)

            anila._chunks.CHUNK_SECONDS = 1e-9
            m = anila.train(shard, comm=comm, checkpoint=a.checkpoint, checkpoint_every=10, callback=die, **kw)
        else:
            m = anila.resume(a.checkpoint, shard, progress=False, comm=comm)
        if rank == 0:
            out.update(iteration=m.iteration, params=digest(m.parameters()))

    elif a.mode == "stop":
        import warnings

        anila._chunks.CHUNK_SECONDS = 1e-9
        kw = dict(KW, iterations=1_000_000 if a.what == "deadline" else 200, seed=a.seed)

        def poke(mod, hist):
            if a.what == "sigint" and rank == 1 and mod.iteration == 30:
                signal.raise_signal(signal.SIGINT)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = anila.train(shard, comm=comm, callback=poke, max_seconds=0.5 if a.what == "deadline" else None, **kw)
        warned = any("interrupted" in str(w.message) for w in caught)
        everyone = gather(comm, (m.iteration, digest(m.parameters()), warned))
        if rank == 0:
            out["ranks"] = everyone

    elif a.mode == "mismatch":
        kw = dict(KW, iterations=5, seed=a.seed)
        data = shard
        if rank == 1 and a.what == "dim":
            data = np.hstack([shard, shard[:, :1]])
        if rank == 1 and a.what == "lr":
            kw["lr"] = 0.5
        try:
            anila.train(data, comm=comm, **kw)
            msg = None
        except ValueError as exc:
            msg = str(exc)
        everyone = gather(comm, msg)
        if rank == 0:
            out["errors"] = everyone

    if rank == 0:
        with open(a.out, "w") as f:
            json.dump(out, f)
    sys.stdout.flush()
    if a.backend == "torch":  # gloo's threads must stop before the interpreter exits
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
