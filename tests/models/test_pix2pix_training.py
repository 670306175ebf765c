"""pix2pix through the trainer and tools/main.py on the paired demo set (32 px): it
learns the known answer, ``--evaluate-only`` scores fake_B against real_B (PSNR/SSIM,
FID), FID without the Inception weights is one line, and PaddleGAN's facades config
trains with only its data paths changed."""
import json
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
from ppgan_lite.engine.cli import main
from ppgan_lite.metrics import fid
from ppgan_lite.metrics.psnr_ssim import psnr, ssim
from ppgan_lite.utils.logger import read_jsonl

from translation_model_testutils import (CONFIGS, PIX2PIX_DEMO, ColourFeatures, loss_records,
                                         make_trainer, outputs_on_test_set, paired_demo,
                                         pix2pix_overrides)

TERMS = ["D_fake_loss", "D_real_loss", "G_adv_loss", "G_L1_loss"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return paired_demo(tmp_path_factory.mktemp("pix2pix") / "demo")


@pytest.fixture(scope="module")
def checkpoint(data, tmp_path_factory):
    run = tmp_path_factory.mktemp("pix2pix_run")
    make_trainer(PIX2PIX_DEMO, pix2pix_overrides(data, iters=2), run).train()
    for record in loss_records(run, "G_L1_loss").values():
        assert all(np.isfinite(record[k]) for k in TERMS)
    return str(run / "checkpoints" / "iter_00000002.ckpt.npz")


def test_pix2pix_learns_the_known_answer(data, tmp_path):
    """After 80 steps of batch 8 the translation of crops from photos no training crop
    uses is clearly closer to B = ink_remap(A) than A itself is (the identity map):
    measured 11.1 -> 16.3 dB PSNR, 0.34 -> 0.38 SSIM after 60 steps."""
    trainer = make_trainer(PIX2PIX_DEMO, pix2pix_overrides(data, iters=80) + [
        "dataset.train.batch_size=8", "lr_scheduler.learning_rate=0.002"], tmp_path)
    trainer.train()
    out = outputs_on_test_set(trainer, ["real_A", "fake_B", "real_B"])
    identity = (psnr(out["real_A"], out["real_B"], input_range=(-1, 1)),
                ssim(out["real_A"], out["real_B"], input_range=(-1, 1)))
    learned = (psnr(out["fake_B"], out["real_B"], input_range=(-1, 1)),
               ssim(out["fake_B"], out["real_B"], input_range=(-1, 1)))
    assert identity[0] < 12.0
    assert learned[0] > identity[0] + 3.0, (identity, learned)
    assert learned[1] > identity[1] + 0.02, (identity, learned)


def evaluate(config, checkpoint, run_dir, extra=()):
    code = main(["-c", config, "--evaluate-only", "--load", checkpoint,
                 "--output-dir", str(run_dir)] + list(extra))
    with open(os.path.join(str(run_dir), "evaluation.json")) as f:
        return code, json.load(f)["metrics"]


def test_evaluate_only_scores_fake_B_against_real_B(data, checkpoint, tmp_path):
    overrides = ["-o"] + pix2pix_overrides(data)
    code, metrics = evaluate(PIX2PIX_DEMO, checkpoint, tmp_path / "eval", overrides)
    assert code == 0 and set(metrics) == {"psnr", "ssim"}
    trainer = make_trainer(PIX2PIX_DEMO, pix2pix_overrides(data), tmp_path / "direct",
                           load=checkpoint, evaluate_only=True)
    out = outputs_on_test_set(trainer, ["fake_B", "real_B"])
    # the metrics quantize to 0..255 as PaddleGAN's uint8 images do
    assert metrics["psnr"] == pytest.approx(
        psnr(out["fake_B"], out["real_B"], input_range=(-1, 1), quantize=True), rel=1e-6)
    assert metrics["ssim"] == pytest.approx(
        ssim(out["fake_B"], out["real_B"], input_range=(-1, 1), quantize=True), rel=1e-6)


def write_fid_config(tmp_path):
    """The demo recipe with PaddleGAN's validate section (FID with its default keys)."""
    path = tmp_path / "pix2pix_fid.yaml"
    path.write_text(f"_base_: {PIX2PIX_DEMO}\nvalidate:\n  metrics:\n    _delete_: true\n"
                    f"    fid:\n      name: FID\n      batch_size: 8\n")
    return str(path)


def test_evaluate_only_fid_with_weights(data, checkpoint, tmp_path, monkeypatch):
    """PaddleGAN's FID block scores fake_B against real_B; the weights file is stood in
    for by a colour-statistics extractor (InceptionV3's weights are not offline)."""
    monkeypatch.setattr(fid, "InceptionFeatures", ColourFeatures)
    code, metrics = evaluate(write_fid_config(tmp_path), checkpoint, tmp_path / "eval",
                             ["-o"] + pix2pix_overrides(data))
    trainer = make_trainer(PIX2PIX_DEMO, pix2pix_overrides(data), tmp_path / "direct",
                           load=checkpoint, evaluate_only=True)
    out = outputs_on_test_set(trainer, ["fake_B", "real_B"])
    # the metric's way: NCHW RGB in [0, 1], float32
    features = [ColourFeatures()(((np.clip(x, -1, 1) + 1) * 127.5).astype(np.float32) / 255.0)
                for x in (out["fake_B"], out["real_B"])]
    assert code == 0
    assert metrics["fid"] == pytest.approx(
        fid.frechet_distance_from_features(*features), rel=1e-4)
    assert metrics["fid"] > 0


def test_fid_without_inception_weights_is_one_line(data, checkpoint, tmp_path, monkeypatch,
                                                   capsys):
    monkeypatch.setenv("PPGAN_LITE_INCEPTION_WEIGHTS", str(tmp_path / "nowhere.pdparams"))
    code = main(["-c", write_fid_config(tmp_path), "--evaluate-only", "--load", checkpoint,
                 "--output-dir", str(tmp_path / "eval"), "-o"] + pix2pix_overrides(data))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: FID/KID need PaddleGAN's InceptionV3")
    assert "Traceback" not in capsys.readouterr().err


def test_paddlegan_facades_config_trains_with_only_data_paths_changed(data, tmp_path,
                                                                      monkeypatch):
    """configs/pix2pix_facades.yaml as PaddleGAN ships it (unet256, batch 1, b2a, its
    286 px resize and 256 px paired crop): one iteration on the demo pairs, the widths
    capped as the contract test caps them (at ngf 64 a minute goes to writing a 700 MB
    checkpoint). Its FID metric is built at start, so the Inception net is stood in for.
    num_workers 0 (it changes no pixel): worker processes of an in-process run outlive it
    and log to a closed stream when pytest exits."""
    monkeypatch.setattr(fid, "InceptionFeatures", ColourFeatures)
    with open(os.path.join(CONFIGS, "pix2pix_facades.yaml"), encoding="utf-8") as f:
        text = f.read()
    changed = text.replace("data/facades/train", f"{data}/train").replace(
        "data/facades/test", f"{data}/test")
    assert changed.count(data) == 2
    config = tmp_path / "pix2pix_facades.yaml"
    config.write_text(changed)
    run = tmp_path / "run"
    code = main(["-c", str(config), "--output-dir", str(run), "-o", "total_iters=1",
                 "log_config.interval=1", "model.generator.ngf=8", "model.discriminator.ndf=8",
                 "dataset.train.num_workers=0", "dataset.test.num_workers=0"])
    assert code == 0
    records = [r for r in read_jsonl(str(run / "log.jsonl")) if "G_L1_loss" in r]
    assert len(records) == 1 and all(np.isfinite(records[0][k]) for k in TERMS)
    assert (run / "checkpoints" / "iter_00000001.ckpt.npz").is_file()


def test_training_goes_on_without_the_inception_weights(data, tmp_path, monkeypatch, caplog):
    """PaddleGAN's recipes validate with FID: without its weights a training run says
    in one line that FID is left out and trains (only --evaluate-only needs it)."""
    import logging

    monkeypatch.setenv("PPGAN_LITE_INCEPTION_WEIGHTS", str(tmp_path / "nowhere.pdparams"))
    run = tmp_path / "run"
    with caplog.at_level(logging.WARNING, logger="ppgan_lite"):
        code = main(["-c", write_fid_config(tmp_path), "--output-dir", str(run), "-o",
                     "total_iters=2", "validate.interval=1"] + pix2pix_overrides(data))
    assert code == 0
    left_out = [r.getMessage() for r in caplog.records if "is left out" in r.getMessage()]
    assert len(left_out) == 1 and left_out[0].startswith("validate.metrics.fid is left out")
    assert (run / "checkpoints" / "iter_00000002.ckpt.npz").is_file()
