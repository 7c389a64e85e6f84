"""Data-parallel training (anila.train(..., comm=...)) over Open MPI (mpi4py, launched by
mpiexec) and torch.distributed (gloo: the example through torchrun, the others started here
with torchrun's variables). Each test starts the processes
of dist_worker.py in subprocesses with a timeout; rank 0 reports what it found as JSON.

Without mpiexec and mpi4py (or torch) the tests skip, unless ANILA_TEST_DISTRIBUTED=require
(set by `make test`, whose setup installs them): then they fail.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import anila

WORKER = Path(__file__).with_name("dist_worker.py")
REQUIRED = os.environ.get("ANILA_TEST_DISTRIBUTED") == "require"
# Open MPI refuses to start as root without these; they change nothing else.
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def _need(ok: bool, what: str):
    if ok:
        return
    if REQUIRED:
        pytest.fail(f"{what} is missing (ANILA_TEST_DISTRIBUTED=require)")
    pytest.skip(f"{what} is missing")


@pytest.fixture
def mpi():
    _need(shutil.which("mpiexec") is not None and importlib.util.find_spec("mpi4py") is not None,
          "Open MPI's mpiexec or mpi4py")


@pytest.fixture
def torchrun():
    _need(importlib.util.find_spec("torch") is not None, "torch")


def _launch(cmd, out, timeout, expect_ok=True):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **MPI_ENV})
    took = time.perf_counter() - t0
    if expect_ok:
        assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
        return json.loads(Path(out).read_text()), p, took
    return None, p, took


def run_mpi(n, mode, tmp_path, *args, timeout=180, expect_ok=True):
    """Rank 0's report of dist_worker.py `mode` on n MPI processes."""
    out = tmp_path / f"{mode}-mpi{n}-{time.monotonic_ns()}.json"
    cmd = ["mpiexec", "--oversubscribe", "-n", str(n), sys.executable, str(WORKER), mode, "--out", str(out), *args]
    return _launch(cmd, out, timeout, expect_ok)


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_torch(n, mode, tmp_path, *args, timeout=180):
    """Rank 0's report of dist_worker.py `mode` on n gloo processes, started here with the
    variables torchrun would set (torchrun's own agent is tested by the example test; it
    would cost one more torch import per launch)."""
    out = tmp_path / f"{mode}-torch{n}-{time.monotonic_ns()}.json"
    port = _free_port()
    procs = []
    for rank in range(n):
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
               "WORLD_SIZE": str(n), "LOCAL_RANK": str(rank), "LOCAL_WORLD_SIZE": str(n)}
        cmd = [sys.executable, str(WORKER), mode, "--backend", "torch", "--out", str(out), *args]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        res = [p.communicate(timeout=timeout) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for rank, (p, (o, e)) in enumerate(zip(procs, res)):
        assert p.returncode == 0, f"rank {rank} of {n} ({mode}) failed ({p.returncode}):\n{o[-3000:]}\n{e[-3000:]}"
    return json.loads(Path(out).read_text())


def _check_lockstep(r, n):
    digests = r["digests"]
    assert len(digests) == n
    iters = [it for it, _ in digests[0]]
    assert iters == list(range(1, 21)), iters
    for rank in range(1, n):
        assert digests[rank] == digests[0], f"rank {rank}'s parameters differ from rank 0's"
    assert len({d for _, d in digests[0]}) == 20, "the parameters did not change every iteration"
    assert r["same_history"]


def test_one_mpi_process_is_training_without_comm(mpi, tmp_path):
    """A communicator of size 1 gives bit-identical parameters and history to no comm."""
    r, _, _ = run_mpi(1, "equal", tmp_path, "--compare")
    assert r["no_comm_same_params"] and r["no_comm_same_history"]


@pytest.mark.parametrize("n", [2, 3])
def test_mpi_ranks_hold_identical_parameters_every_iteration(mpi, tmp_path, n):
    r, _, _ = run_mpi(n, "equal", tmp_path)
    _check_lockstep(r, n)


@pytest.mark.parametrize("n", [2, 3])
def test_averaged_gradient_is_the_mean_of_the_ranks_gradients(mpi, tmp_path, n):
    """float64: the gradient every rank steps with equals the mean of the ranks' gradients,
    recomputed one rank at a time in one process without communication."""
    r, _, _ = run_mpi(n, "grad", tmp_path)
    assert r["per_rank_differ"], "the ranks computed the same gradient: their chains or data are not their own"
    assert r["max_abs_diff"] <= 1e-12 * max(1.0, r["grad_scale"]), r


@pytest.mark.quality
def test_two_ranks_train_as_well_as_one_with_twice_the_batch(mpi, tmp_path):
    """Rings, 2000 iterations, seeds 1-3: 2 ranks × batch 64 reach the held-out MMD and NLL of
    1 rank × batch 128: their mean lies within the 1-rank runs' spread (max − min over
    seeds) of the 1-rank mean."""
    one, two = [], []
    for seed in (1, 2, 3):
        a, _, _ = run_mpi(1, "quality", tmp_path, "--seed", str(seed), "--batch", "128", "--iterations", "2000")
        b, _, _ = run_mpi(2, "quality", tmp_path, "--seed", str(seed), "--batch", "64", "--iterations", "2000")
        one.append(a)
        two.append(b)
    for key in ("mmd", "nll"):
        x1 = np.array([r[key] for r in one])
        x2 = np.array([r[key] for r in two])
        spread = x1.max() - x1.min()
        print(f"{key}: 1 rank × 128 {np.round(x1, 4)}, 2 ranks × 64 {np.round(x2, 4)}")
        assert x2.mean() <= x1.mean() + spread, (key, x1, x2)


def test_killed_rank_stops_the_job_and_the_checkpoint_resumes(mpi, tmp_path):
    """Rank 1 kills itself (SIGKILL) at iteration 55 of 100, checkpointing every 10: the job
    ends within 60 s with Open MPI naming the killed rank; resuming on 2 ranks from the
    checkpoint (iteration 50) ends bit-identical to a run that was never interrupted."""
    ck = tmp_path / "run.anila"
    _, p, took = run_mpi(2, "kill", tmp_path, "--iterations", "100", "--checkpoint", str(ck), timeout=60,
                         expect_ok=False)
    assert p.returncode != 0
    assert "signal 9" in p.stderr + p.stdout, p.stderr[-2000:]
    assert took < 60
    assert anila.load(ck).iteration == 50 and anila.load(f"{ck}.rank1").iteration == 50
    resumed, _, _ = run_mpi(2, "resume", tmp_path, "--checkpoint", str(ck))
    whole, _, _ = run_mpi(2, "kill", tmp_path, "--victim", "-1", "--iterations", "100",
                          "--checkpoint", str(tmp_path / "whole.anila"))
    assert resumed["iteration"] == whole["iteration"] == 100
    assert resumed["params"] == whole["params"]


def test_deadline_and_ctrl_c_stop_every_rank_at_the_same_iteration(mpi, tmp_path):
    """max_seconds is rank 0's clock; SIGINT on rank 1 alone (at iteration 30) stops both
    ranks after the same iteration, each warning that training was interrupted."""
    r, _, _ = run_mpi(2, "stop", tmp_path, "--what", "deadline")
    (it0, d0, _), (it1, d1, _) = r["ranks"]
    assert 0 < it0 < 1_000_000 and (it0, d0) == (it1, d1), r
    r, _, _ = run_mpi(2, "stop", tmp_path, "--what", "sigint")
    (it0, d0, w0), (it1, d1, w1) = r["ranks"]
    assert it0 == it1 == 30 and d0 == d1 and w0 and w1, r


@pytest.mark.parametrize("what,message", [("dim", "rank 1 has dim=3 where rank 0 has 2"),
                                          ("lr", "rank 1 has lr=0.5 where rank 0 has 0.003")])
def test_ranks_with_different_data_or_settings_all_fail_at_start(mpi, tmp_path, what, message):
    r, _, _ = run_mpi(2, "mismatch", tmp_path, "--what", what)
    assert len(r["errors"]) == 2
    for err in r["errors"]:
        assert err is not None and message in err, r["errors"]


def test_torch_distributed_two_processes_and_one(torchrun, tmp_path):
    """gloo: 2 processes stay in lock step; 1 process is training without comm. With Open MPI
    present, the 2-process result is also the MPI one, bit for bit."""
    r = run_torch(2, "equal", tmp_path)
    _check_lockstep(r, 2)
    one = run_torch(1, "equal", tmp_path, "--compare")
    assert one["no_comm_same_params"] and one["no_comm_same_history"]
    if shutil.which("mpiexec") and importlib.util.find_spec("mpi4py"):
        m, _, _ = run_mpi(2, "equal", tmp_path)
        assert m["final"] == r["final"]


def test_torch_killed_rank_gives_distributed_error(torchrun, tmp_path):
    """gloo, two processes started here without torchrun's agent (which would end the job
    itself, as mpiexec does): when rank 1 dies, rank 0 fails with anila's DistributedError
    within 60 s."""
    port = _free_port()
    procs = []
    t0 = time.perf_counter()
    for rank in (0, 1):
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
               "WORLD_SIZE": "2", "LOCAL_RANK": str(rank)}
        cmd = [sys.executable, str(WORKER), "kill", "--backend", "torch", "--iterations", "100",
               "--checkpoint", str(tmp_path / "t.anila"), "--out", str(tmp_path / "k.json")]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        _, err0 = procs[0].communicate(timeout=60)
        procs[1].communicate(timeout=60)
    finally:
        for p in procs:
            p.kill()
    took = time.perf_counter() - t0
    assert procs[1].returncode == -9
    assert procs[0].returncode != 0 and took < 60
    assert "anila.errors.DistributedError: " in err0 and "another process has probably stopped" in err0, err0[-3000:]


def test_unsupported_comm_is_a_type_error(rings):
    with pytest.raises(TypeError, match="builtins.object"):
        anila.train(rings, comm=object(), iterations=1, progress=False)
    with pytest.raises(ValueError, match="comm must be 'torch'"):
        anila.train(rings, comm="mpi", iterations=1, progress=False)


def test_torch_comm_needs_an_initialised_group(torchrun, rings):
    import torch.distributed as dist

    if dist.is_initialized():
        pytest.skip("a process group is already initialised here")
    with pytest.raises(ValueError, match="init_process_group"):
        anila.train(rings, comm="torch", iterations=1, progress=False)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_mpi_example_runs(mpi, tmp_path):
    cmd = ["mpiexec", "--oversubscribe", "-n", "2", sys.executable, "-m", "mpi4py", str(EXAMPLES / "train_mpi.py"),
           "--iterations", "60", "--checkpoint", str(tmp_path / "ex.anila")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, **MPI_ENV})
    assert p.returncode == 0, p.stderr[-3000:]
    assert "2 processes × batch 64: 60 iterations" in p.stdout, p.stdout
    assert anila.load(tmp_path / "ex.anila").iteration == 60


def test_torchrun_example_runs(torchrun, tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(EXAMPLES / "train_torchrun.py"), "--iterations", "60", "--checkpoint", str(tmp_path / "ex.anila")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "2 processes × batch 64: 60 iterations" in p.stdout, p.stdout
    assert anila.load(tmp_path / "ex.anila").iteration == 60
