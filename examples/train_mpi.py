"""Data-parallel training over MPI: every process trains on its own shard of the data, and
the gradients are averaged across processes in every iteration.

    mpiexec -n 2 python -m mpi4py examples/train_mpi.py
    srun --ntasks 8 --cpus-per-task 4 python -m mpi4py examples/train_mpi.py --threads 4   (Slurm)

`-m mpi4py` makes an exception in one process abort the whole job instead of leaving the
others waiting. Needs `pip install anila[mpi]` and an MPI (Debian: openmpi-bin).
"""

import argparse

from mpi4py import MPI

import anila
from anila import metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=128, help="global batch: each of R processes takes batch/R")
    ap.add_argument("--threads", type=int, default=1, help="anila's threads per process")
    ap.add_argument("--checkpoint", default="rings-mpi.anila")
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    anila.set_num_threads(args.threads)

    X = anila.datasets.rings(10_000, seed=0)  # every rank makes the same data here ...
    shard = X[rank::size]                     # ... and keeps its own part of it
    model = anila.train(shard, comm=comm, iterations=args.iterations, batch_size=max(1, args.batch // size),
                        seed=0, checkpoint=args.checkpoint, checkpoint_every=500, progress=rank == 0)
    if rank == 0:  # every rank holds the same model; one reports it
        held = anila.datasets.rings(2_000, seed=1)
        Z = model.sample(2_000, seed=7)
        nll = metrics.heldout_nll(model, held, ((-4.5, 4.5), (-4.5, 4.5)))
        print(f"{size} processes × batch {max(1, args.batch // size)}: {model.iteration} iterations, "
              f"held-out MMD² {metrics.mmd(Z, held):.5f}, NLL {nll:.3f}; model in {args.checkpoint}")


if __name__ == "__main__":
    main()
