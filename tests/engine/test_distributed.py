"""Two processes on CPU through paddle's own launcher: weights stay identical on both
ranks, rank 0 alone writes, and a distributed run resumes exactly."""
import os
import shutil
import subprocess
import sys

import pytest

from ppgan_lite.utils import checkpoint as ckpt
from ppgan_lite.utils.logger import read_jsonl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "configs", "dcgan_lfw.yaml")
TINY = ["model.generator.ngf=8", "model.discriminator.ndf=8", "model.generator.input_nz=16",
        "dataset.train.batch_size=10", "log_config.interval=1",
        "log_config.visiual_interval=100", "snapshot_config.interval=3", "total_iters=6"]


def launch(tmp_path, run, *extra):
    cmd = [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", "2",
           "--log_dir", str(tmp_path / f"launch_{os.path.basename(run)}"),
           os.path.join(ROOT, "tools", "main.py"), "-c", CONFIG, "--output-dir", str(run),
           *extra, "-o", *TINY]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    logs = ""
    for name in sorted(os.listdir(tmp_path / f"launch_{os.path.basename(run)}")):
        with open(tmp_path / f"launch_{os.path.basename(run)}" / name) as f:
            logs += f.read()
    return res, logs


def loss_records(run):
    return {r["iter"]: r["G_adv_loss"] for r in read_jsonl(os.path.join(run, "log.jsonl"))
            if "G_adv_loss" in r}


def test_two_process_dcgan_keeps_ranks_in_sync_and_resumes_exactly(tmp_path):
    full = tmp_path / "full"
    res, logs = launch(tmp_path, full)
    assert res.returncode == 0, logs[-3000:]
    assert "ranks in sync" in logs and "out of sync" not in logs
    assert "effective batch 20" in logs
    assert sorted(loss_records(str(full))) == [1, 2, 3, 4, 5, 6]  # one log, from rank 0
    state = ckpt.load_state(str(full / "checkpoints" / "iter_00000006.ckpt.npz"))
    assert sorted(state["rng_per_rank"]) == ["0", "1"]
    # 100 faces, 2 ranks x 10 per batch: 5 iterations per epoch
    assert state["iters_per_epoch"] == 5

    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    shutil.copy(full / "checkpoints" / "iter_00000003.ckpt.npz", part / "checkpoints")
    res, logs = launch(tmp_path, part, "--resume",
                       str(part / "checkpoints" / "iter_00000003.ckpt.npz"))
    assert res.returncode == 0, logs[-3000:]
    a, b = loss_records(str(full)), loss_records(str(part))
    assert sorted(b) == [4, 5, 6]
    for it in b:
        assert b[it] == pytest.approx(a[it], rel=1e-5), it
