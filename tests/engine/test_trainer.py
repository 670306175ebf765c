"""End-to-end training runs on the embedded faces, small enough for seconds."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ppgan_lite import register_all
from ppgan_lite.engine.cli import main, parse_args
from ppgan_lite.engine.trainer import Trainer
from ppgan_lite.utils import checkpoint as ckpt
from ppgan_lite.utils.config import load_config, validate_config
from ppgan_lite.utils.errors import TrainingDivergedError
from ppgan_lite.utils.logger import read_jsonl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "configs", "dcgan_lfw.yaml")
TINY = ["model.generator.ngf=8", "model.discriminator.ndf=8", "model.generator.input_nz=16",
        "dataset.train.batch_size=10", "log_config.interval=1", "log_config.visiual_interval=3",
        "snapshot_config.interval=4", "total_iters=8"]

register_all()


def make_trainer(run_dir, extra=(), **kwargs):
    cfg = validate_config(load_config(CONFIG, TINY + list(extra)))
    return Trainer(cfg, str(run_dir), **kwargs)


def losses(run_dir):
    return {r["iter"]: {k: v for k, v in r.items() if k.endswith("_loss")}
            for r in read_jsonl(os.path.join(run_dir, "log.jsonl")) if "D_real_loss" in r}


def test_training_writes_every_output(tmp_path):
    run = tmp_path / "run"
    final = make_trainer(run).train()
    assert os.path.basename(final) == "iter_00000008.ckpt.npz"
    for name in ("loss_curve.png", "progress.gif", "log.jsonl", "config.yaml", "train.log",
                 "samples/final.png", "samples/iter_00000000.png", "samples/iter_00000006.png",
                 "visual_train/iter_00000003.png"):
        assert (run / name).is_file(), name
    records = read_jsonl(str(run / "log.jsonl"))
    assert [r["iter"] for r in records] == list(range(1, 9))
    for key in ("lr", "batch_cost", "reader_cost", "ips", "eta", "D_real_loss", "G_adv_loss"):
        assert key in records[0]
    # samples are real pictures of the configured size: 8x8 grid of 32 px + padding
    from ppgan_lite.utils.image_io import read_image
    grid = read_image(str(run / "samples" / "final.png"))
    assert grid.shape == (8 * 34 + 2, 8 * 34 + 2, 3) and grid.std() > 5
    assert len(ckpt.list_checkpoints(str(run / "checkpoints"))) == 2  # iterations 4 and 8


def test_resume_mid_epoch_reproduces_the_uninterrupted_losses(tmp_path):
    full = tmp_path / "full"
    make_trainer(full).train()
    # resume a copy of the iteration-4 checkpoint (mid-epoch: 10 batches per epoch)
    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    src = full / "checkpoints" / "iter_00000004.ckpt.npz"
    shutil.copy(src, part / "checkpoints")
    make_trainer(part, resume=str(part / "checkpoints" / "iter_00000004.ckpt.npz")).train()
    a, b = losses(str(full)), losses(str(part))
    assert sorted(b) == [5, 6, 7, 8]
    for it in b:
        for key, value in b[it].items():
            assert value == pytest.approx(a[it][key], rel=1e-6, abs=1e-7), (it, key)
    wa = ckpt.load_state(str(full / "checkpoints" / "iter_00000008.ckpt.npz"))["nets"]
    wb = ckpt.load_state(str(part / "checkpoints" / "iter_00000008.ckpt.npz"))["nets"]
    for net in wa:
        for key in wa[net]:
            np.testing.assert_allclose(wa[net][key], wb[net][key], rtol=1e-5, atol=1e-6)


def test_lr_schedule_continues_after_resume(tmp_path):
    extra = ["lr_scheduler.start_epoch=0", "lr_scheduler.decay_epochs=1",
             "dataset.train.batch_size=50"]  # 2 iterations per epoch: lr drops at epoch 1
    full = tmp_path / "full"
    make_trainer(full, extra).train()
    lrs = {r["iter"]: r["lr"] for r in read_jsonl(str(full / "log.jsonl"))}
    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    shutil.copy(full / "checkpoints" / "iter_00000004.ckpt.npz", part / "checkpoints")
    make_trainer(part, extra, resume=str(part / "checkpoints" / "iter_00000004.ckpt.npz")).train()
    resumed = {r["iter"]: r["lr"] for r in read_jsonl(str(part / "log.jsonl"))}
    assert resumed == {k: v for k, v in lrs.items() if k > 4}
    assert len(set(lrs.values())) > 1


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    run = tmp_path / "run"
    trainer = make_trainer(run)
    original = trainer.model.get_current_losses

    def poisoned():
        values = original()
        if trainer.current_iter >= 5:
            values["G_adv_loss"] = float("nan")
        return values

    monkeypatch.setattr(trainer.model, "get_current_losses", poisoned)
    with pytest.raises(TrainingDivergedError) as err:
        trainer.train()
    msg = str(err.value)
    assert "'G_adv_loss' = nan" in msg and "iteration 6" in msg and "iter_00000004" in msg
    left = [os.path.basename(p) for p in ckpt.list_checkpoints(str(run / "checkpoints"))]
    assert left == ["iter_00000004.ckpt.npz"]
    assert any(r.get("event") == "diverged" for r in read_jsonl(str(run / "log.jsonl")))


def test_load_weights_starts_from_them(tmp_path):
    run = tmp_path / "a"
    path = make_trainer(run).train()
    trainer = make_trainer(tmp_path / "b", load=path)
    saved = ckpt.load_state(path)["nets"]["netG"]
    for key, value in trainer.model.nets["netG"].state_dict().items():
        np.testing.assert_array_equal(value.numpy(), saved[key])
    assert trainer.current_iter == 0


def test_sigterm_saves_a_checkpoint_and_exits_zero(tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, os.path.join(ROOT, "tools", "main.py"), "-c", CONFIG,
           "--output-dir", str(run), "-o"] + TINY + ["total_iters=100000",
                                                     "snapshot_config.interval=100000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = run / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (log.exists() and len(read_jsonl(str(log))) >= 2):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "resume with --resume" in out
    saved = ckpt.list_checkpoints(str(run / "checkpoints"))
    assert len(saved) == 1
    state = ckpt.load_state(saved[0])
    assert state["iter"] >= 2 and state["config"]["total_iters"] == 100000


@pytest.mark.parametrize("override, expected", [
    (["model.generator.ngff=3"], "Did you mean 'ngf'"),
    (["optimizer.optimizer_G.net_names=[netX]"], "does not have"),
    (["model.name=DCGAN"], "Known model"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, override, expected):
    code = main(["-c", CONFIG, "--output-dir", str(tmp_path / "r"), "-o"] + TINY + override)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert expected in err and len(err.splitlines()) == 1 and err.startswith("error: ")


def test_repeated_o_flags_add_up():
    # `-o a=1 -o b=2` must keep both: argparse's plain nargs='+' keeps only the last
    args = parse_args(["-c", CONFIG, "-o", "total_iters=60", "log_config.interval=20",
                       "-o", "validate.interval=0"])
    assert args.opt == ["total_iters=60", "log_config.interval=20", "validate.interval=0"]


def test_bad_flag_is_one_line_not_the_usage_block(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["-c", CONFIG, "--seed", "abc"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert err.startswith("error: argument --seed") and "--help" in err


def test_resume_from_a_checkpoint_kept_elsewhere_makes_a_new_run_folder(tmp_path, monkeypatch):
    from ppgan_lite.engine.cli import choose_run_dir

    cfg = {"output_dir": str(tmp_path / "runs")}
    inside = parse_args(["-c", CONFIG, "--resume", "/x/run1/checkpoints/iter_4.ckpt.npz"])
    assert choose_run_dir(cfg, inside) == "/x/run1"
    elsewhere = parse_args(["-c", CONFIG, "--resume", "/home/me/Downloads/iter_4.ckpt.npz"])
    folder = choose_run_dir(cfg, elsewhere)
    assert folder.startswith(str(tmp_path / "runs" / "dcgan_lfw-"))


def test_a_run_that_fails_before_training_leaves_no_folder(tmp_path, capsys):
    runs = tmp_path / "runs"
    code = main(["-c", CONFIG, "-o"] + TINY + [f"output_dir={runs}",
                                               "dataset.train.batch_size=1000"])
    assert code == 2 and "error:" in capsys.readouterr().err
    assert not runs.exists() or os.listdir(runs) == []
    blocker = tmp_path / "afile"
    blocker.write_text("")
    code = main(["-c", CONFIG, "--output-dir", str(blocker), "-o"] + TINY)
    err = capsys.readouterr().err.strip()
    assert code == 2 and "is a file, not a folder" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("override, message", [
    ("total_iters=0", "use a number of iterations >= 1"),
    ("total_iters=-5", "use a number of iterations >= 1"),
])
def test_training_length_must_be_positive(tmp_path, capsys, override, message):
    code = main(["-c", CONFIG, "--output-dir", str(tmp_path / "r"), "-o"] + TINY + [override])
    assert code == 2 and message in capsys.readouterr().err


def test_missing_data_dir_says_how_to_get_it(tmp_path, capsys):
    cfg = tmp_path / "folder.yaml"
    cfg.write_text(f"_base_: {CONFIG}\ndataset:\n  train:\n    _delete_: true\n"
                   f"    name: SingleDataset\n    dataroot: {tmp_path}/no_such_dir\n"
                   f"    batch_size: 4\n")
    code = main(["-c", str(cfg), "--output-dir", str(tmp_path / "r"), "-o"] + TINY)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "no_such_dir" in err and "does not exist" in err and "data/README.md" in err


def test_amp_on_cpu_is_a_clear_error(tmp_path, capsys):
    code = main(["-c", CONFIG, "--output-dir", str(tmp_path / "r"), "--amp", "-o"] + TINY)
    assert code == 2 and "needs a GPU" in capsys.readouterr().err


def test_evaluate_only_needs_weights_and_metrics(tmp_path, capsys):
    code = main(["-c", CONFIG, "--evaluate-only", "--output-dir", str(tmp_path / "e"), "-o"]
                + TINY)
    assert code == 2 and "pass --load" in capsys.readouterr().err
    code = main(["-c", CONFIG, "--evaluate-only", "--load", "x.ckpt.npz", "--output-dir",
                 str(tmp_path / "e"), "-o"] + TINY + ["validate.metrics={}"])
    assert code == 2 and "no validate.metrics" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


def test_evaluate_only_prints_and_writes_a_json_summary(tmp_path, capsys):
    weights = make_trainer(tmp_path / "run").train()
    capsys.readouterr()
    out = tmp_path / "eval"
    code = main(["-c", CONFIG, "--evaluate-only", "--load", weights, "--output-dir", str(out),
                 "-o"] + TINY + ["dataset.test.batch_size=25"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    value = summary["metrics"]["frechet_face"]
    assert isinstance(value, float) and value > 0
    assert json.loads((out / "evaluation.json").read_text())["metrics"] == summary["metrics"]


def test_validation_during_training_logs_and_plots_metrics(tmp_path):
    run = tmp_path / "run"
    make_trainer(run, ["validate.interval=4", "dataset.test.batch_size=50"]).train()
    events = [r for r in read_jsonl(str(run / "log.jsonl")) if r.get("event") == "validate"]
    assert [e["iter"] for e in events] == [4, 8]
    assert all(e["metrics"]["frechet_face"] > 0 for e in events)
    assert (run / "metrics.png").is_file()


def test_images_of_another_size_than_the_model_takes_are_one_line(tmp_path, capsys):
    """7 px faces into a 32 px DCGAN: refused before training (Paddle's conv kernels
    crashed the process on it), naming both sizes and the fix."""
    out = tmp_path / "out"
    assert main(["-c", CONFIG, "-o", *TINY, "dataset.train.size=7",
                 f"output_dir={out}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "dataset.train gives 'A' images of 3x7x7 (CxHxW) but DCGANModel takes 3x32x32" in err
    assert "preprocess" in err
    assert not out.exists() or not os.listdir(out)  # no run folder
