"""Data-parallel scaling: ConvNet training iterations per second on 1 and on 2 MPI processes,
1 thread each, the same global batch (64 = 1 × 64 = 2 × 32), Fashion-MNIST (the first 10,000
training images, sharded), the paper's ConvNet with n_f = 32, K = 60, float32.

Run with `make bench` (or `python bench/scaling.py`): it launches itself under mpiexec with 1
and 2 processes, alternately, --reps times each, and writes bench/scaling.json and
bench/scaling.md. Each worker reports rank 0's wall time per iteration and the share of it
spent in the gradient allreduce (waiting for the slower rank included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def worker(args) -> None:
    from mpi4py import MPI

    import anila

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    anila.set_num_threads(1)
    c = anila.distributed.wrap(comm)
    X = anila.datasets.fashion_mnist("train")[:10_000]
    shard = X[rank::size]
    m = anila.train(shard, comm=c, energy="convnet", nf=32, steps=args.steps, batch_size=args.batch // size,
                    iterations=args.warmup, seed=0, progress=False)
    c.allreduce_seconds, c.allreduce_calls = 0.0, 0
    comm.Barrier()
    t0 = time.perf_counter()
    m.fit_more(shard, args.iterations, progress=False, comm=c)
    wall = time.perf_counter() - t0
    if rank == 0:
        with open(args.out, "w") as f:
            json.dump(dict(processes=size, seconds_per_iteration=wall / args.iterations,
                           allreduce_share=c.allreduce_seconds / wall, allreduce_calls=c.allreduce_calls,
                           params=int(m.parameters().size), blas=anila.blas()), f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64, help="global batch")
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    runs = {1: [], 2: []}
    for rep in range(args.reps):
        for n in (1, 2):
            out = os.path.join(HERE, f".scaling-{n}.json")
            cmd = ["mpiexec", "--oversubscribe", "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker",
                   "--out", out, "--iterations", str(args.iterations), "--warmup", str(args.warmup),
                   "--batch", str(args.batch), "--steps", str(args.steps)]
            subprocess.run(cmd, check=True, env={**os.environ, **MPI_ENV})
            with open(out) as f:
                runs[n].append(json.load(f))
            os.remove(out)
            print(f"rep {rep + 1}: {n} process(es): {runs[n][-1]['seconds_per_iteration'] * 1e3:.0f} ms/iteration, "
                  f"allreduce {100 * runs[n][-1]['allreduce_share']:.2f}%", flush=True)
    med = {n: statistics.median(r["seconds_per_iteration"] for r in runs[n]) for n in runs}
    share = statistics.median(r["allreduce_share"] for r in runs[2])
    speedup = med[1] / med[2]
    result = dict(runs=runs, speedup=speedup, allreduce_share_2=share, global_batch=args.batch, steps=args.steps,
                  iterations=args.iterations, blas=runs[1][0]["blas"], params=runs[1][0]["params"])
    with open(os.path.join(HERE, "scaling.json"), "w") as f:
        json.dump(result, f, indent=1)
    md = (f"Data-parallel scaling over Open MPI (bench/scaling.py): ConvNet n_f=32 on 1x28x28 Fashion-MNIST, "
          f"K={args.steps}, float32, global batch {args.batch}, 1 thread per process, {result['params']} parameters, "
          f"{result['blas']}; median of {args.reps} runs of {args.iterations} iterations\n\n"
          "| processes | batch per process | iterations/s | speed-up | allreduce share of an iteration |\n"
          "|---|---|---|---|---|\n"
          f"| 1 | {args.batch} | {1 / med[1]:.2f} | 1.00x | {100 * statistics.median(r['allreduce_share'] for r in runs[1]):.2f}% |\n"
          f"| 2 | {args.batch // 2} | {1 / med[2]:.2f} | {speedup:.2f}x | {100 * share:.2f}% |\n")
    with open(os.path.join(HERE, "scaling.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
