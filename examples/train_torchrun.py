"""Data-parallel training over torch.distributed (gloo, on CPUs): every process trains on its
own shard of the data, and the gradients are averaged across processes in every iteration.

    torchrun --nproc_per_node 2 examples/train_torchrun.py
    torchrun --nnodes 2 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint HOST:29500 examples/train_torchrun.py

Needs `pip install anila[torch]`.
"""

import argparse
import datetime

import torch.distributed as dist

import anila
from anila import metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=128, help="global batch: each of R processes takes batch/R")
    ap.add_argument("--threads", type=int, default=1, help="anila's threads per process")
    ap.add_argument("--checkpoint", default="rings-torch.anila")
    args = ap.parse_args()
    # A timeout bounds how long the others wait when a process dies.
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=60))
    rank, size = dist.get_rank(), dist.get_world_size()
    anila.set_num_threads(args.threads)
    try:
        X = anila.datasets.rings(10_000, seed=0)
        shard = X[rank::size]
        model = anila.train(shard, comm="torch", iterations=args.iterations, batch_size=max(1, args.batch // size),
                            seed=0, checkpoint=args.checkpoint, checkpoint_every=500, progress=rank == 0)
        if rank == 0:
            held = anila.datasets.rings(2_000, seed=1)
            Z = model.sample(2_000, seed=7)
            nll = metrics.heldout_nll(model, held, ((-4.5, 4.5), (-4.5, 4.5)))
            print(f"{size} processes × batch {max(1, args.batch // size)}: {model.iteration} iterations, "
                  f"held-out MMD² {metrics.mmd(Z, held):.5f}, NLL {nll:.3f}; model in {args.checkpoint}")
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
