"""tools/export_model.py on tiny trained pix2pix and CycleGAN checkpoints: netG, and
netG_A + netG_B with --net all, as paddle.inference programs and ONNX models that give
the dynamic nets' images."""
import json
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
from ppgan_lite.deploy import load_generator, read_meta, run_dynamic
from scripts import load_script

from translation_model_testutils import (CYCLEGAN_DEMO, PIX2PIX_DEMO, SIZE, cyclegan_overrides,
                                         make_trainer, paired_demo, pix2pix_overrides,
                                         unpaired_demo)

pytest.importorskip("onnxruntime", reason="the ONNX check needs onnxruntime")
pytest.importorskip("paddle2onnx", reason="ONNX export needs paddle2onnx")


def train_tiny(config, overrides, run):
    make_trainer(config, overrides, run).train()
    return str(run / "checkpoints" / "iter_00000002.ckpt.npz")


def images(n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 3, SIZE, SIZE)).astype("float32")


def backends(folder, paddle_inference=True):
    """The exported program through paddle.jit.load, paddle.inference and onnxruntime."""
    program = paddle.jit.load(os.path.join(folder, "model"))

    def jit(x):
        with paddle.no_grad():
            return program(paddle.to_tensor(x)).numpy()

    found = [jit, load_generator(os.path.join(folder, "model.onnx"), backend="onnxruntime")]
    return found + ([load_generator(folder, backend="paddle")] if paddle_inference else [])


def check_export(folder, layer, net, paddle_inference=True):
    meta = read_meta(folder)
    assert meta["net"] == net and meta["input_shape"] == [None, 3, SIZE, SIZE]
    assert meta["output_shape"] == [None, 3, SIZE, SIZE]
    assert meta["onnx"]["max_abs_diff_vs_paddle"] <= 1e-4
    for batch in (1, 3):
        x = images(batch, seed=batch)
        want = run_dynamic(layer, x)
        assert want.std() > 1e-3
        for backend in backends(folder, paddle_inference):
            got = backend(x)
            assert got.shape == want.shape
            assert float(np.abs(got - want).max()) <= 1e-4


@pytest.fixture(scope="module")
def pix2pix_export(tmp_path_factory):
    """(export folder, the dynamic netG) of a 2-step pix2pix checkpoint."""
    tmp_path = tmp_path_factory.mktemp("pix2pix_export")
    data = paired_demo(tmp_path / "demo", n_train=8, n_test=2)
    overrides = pix2pix_overrides(data)
    weights = train_tiny(PIX2PIX_DEMO, overrides, tmp_path / "run")
    tool = load_script("tools/export_model.py")
    out = str(tmp_path / "inference")
    assert tool.main(["-c", PIX2PIX_DEMO, "--load", weights, "--output_dir", out, "--onnx",
                      "-o"] + overrides) == 0
    model, _ = tool.load_model(PIX2PIX_DEMO, weights, overrides)
    return out, model.nets["netG"]


def test_pix2pix_netG_exports(pix2pix_export):
    out, netG = pix2pix_export
    check_export(out, netG, "netG", paddle_inference=False)


def test_pix2pix_netG_through_paddle_inference(pix2pix_export):
    """paddle.inference's oneDNN batch_norm normalises PaddleGAN's batch-statistics
    batch norm with the running statistics (off by ~0.3): the export says so in
    meta.json and the backend runs Paddle's own kernels for it."""
    out, netG = pix2pix_export
    with open(os.path.join(out, "meta.json")) as f:
        assert json.load(f)["paddle_inference"] == {"onednn": False}
    x = images(2, seed=2)
    backend = load_generator(out, backend="paddle")
    assert backend.onednn is False
    assert float(np.abs(backend(x) - run_dynamic(netG, x)).max()) <= 1e-4


def test_cyclegan_exports_both_generators(tmp_path):
    data = unpaired_demo(tmp_path / "demo", n_train=4, n_test=2)
    overrides = cyclegan_overrides(data)
    weights = train_tiny(CYCLEGAN_DEMO, overrides, tmp_path / "run")
    tool = load_script("tools/export_model.py")
    out = tmp_path / "inference"
    assert tool.main(["-c", CYCLEGAN_DEMO, "--load", weights, "--output_dir", str(out),
                      "--net", "all", "--onnx", "-o"] + overrides) == 0
    assert sorted(os.listdir(out)) == ["netG_A", "netG_B"]
    model, _ = tool.load_model(CYCLEGAN_DEMO, weights, overrides)
    for net in ("netG_A", "netG_B"):
        check_export(str(out / net), model.nets[net], net)
    # two different generators, not one exported twice
    x = images(2, seed=7)
    a, b = (run_dynamic(model.nets[net], x) for net in ("netG_A", "netG_B"))
    assert np.abs(a - b).max() > 1e-3
