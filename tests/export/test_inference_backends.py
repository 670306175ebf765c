"""deploy.load_generator: one interface over paddle.inference, onnxruntime and
eager Layers; the auto backend's ONNX cache (once per weights file, keyed by its hash,
never beside the model); loaded predictors reused; errors in one line."""
import logging
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn.functional as F

from export_testutils import export_kind, trained_like_model
from ppgan_lite.deploy import backends as inference
from ppgan_lite.deploy import export as ex
from ppgan_lite.deploy import meta
from ppgan_lite.deploy.backends import (DynamicBackend, OnnxRuntimeBackend,
                                        PaddleInferenceBackend, load_generator)
from ppgan_lite.models.base_model import NetInput
from ppgan_lite.utils.errors import ConfigError, DataError, WeightsNotFoundError


def needs_onnx():
    pytest.importorskip("onnxruntime", reason="the ONNX cache needs: pip install onnxruntime")
    pytest.importorskip("paddle2onnx", reason="the ONNX cache needs: pip install paddle2onnx")


def _onnx_files(cache):
    folder = os.path.join(cache, "onnx")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


# ------------------------------------------------------------------ auto + cache
def test_auto_converts_once_per_weights_file_and_reuses_the_cache(dcgan_export, tmp_path,
                                                                  monkeypatch):
    needs_onnx()
    cache = str(tmp_path / "cache")
    before = sorted(os.listdir(dcgan_export.directory))

    first = load_generator(dcgan_export.directory, backend="auto", cache_dir=cache)
    assert isinstance(first, OnnxRuntimeBackend)
    files = _onnx_files(cache)
    weights_hash = meta.file_sha256(os.path.join(dcgan_export.directory, "model.pdiparams"))
    assert len(files) == 1 and files[0].startswith(weights_hash)
    assert not any(n.startswith(".tmp-") for n in files)  # written atomically
    x = dcgan_export.sample(3, seed=5)
    expected = ex.run_dynamic(dcgan_export.net, x)
    assert np.abs(first(x) - expected).max() <= 1e-4
    # nothing is written next to the model (it may be in a read-only site-packages)
    assert sorted(os.listdir(dcgan_export.directory)) == before

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again although the cache has this model")

    monkeypatch.setattr(ex, "onnx_bytes", no_conversion)
    mtime = os.path.getmtime(os.path.join(cache, "onnx", files[0]))
    second = load_generator(dcgan_export.directory, backend="auto", cache_dir=cache)
    assert second.onnx_path == first.onnx_path
    assert os.path.getmtime(second.onnx_path) == mtime
    assert np.abs(second(x) - expected).max() <= 1e-4


def test_cache_key_is_the_weights_hash(dcgan_export, tmp_path, monkeypatch):
    needs_onnx()
    monkeypatch.setenv("PPGAN_LITE_CACHE", str(tmp_path / "env_cache"))
    cache = str(tmp_path / "env_cache")
    load_generator(dcgan_export.directory, backend="onnxruntime")
    assert len(_onnx_files(cache)) == 1
    # the same weights exported again elsewhere: the same cache entry
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("model.json", "model.pdiparams", "meta.json"):
        (copy / name).write_bytes(open(os.path.join(dcgan_export.directory, name), "rb").read())
    assert load_generator(str(copy), backend="auto").onnx_path.startswith(cache)
    assert len(_onnx_files(cache)) == 1
    # other weights: another entry
    other = export_kind(tmp_path, "dcgan", onnx=False, seed=7)
    assert meta.file_sha256(os.path.join(other.directory, "model.pdiparams")) != \
        meta.file_sha256(os.path.join(dcgan_export.directory, "model.pdiparams"))
    backend = load_generator(other.directory, backend="auto")
    assert len(_onnx_files(cache)) == 2
    x = other.sample(2)
    assert np.abs(backend(x) - ex.run_dynamic(other.net, x)).max() <= 1e-4


def test_auto_without_onnxruntime_runs_paddle_with_a_notice(dcgan_export, monkeypatch,
                                                            caplog, tmp_path):
    monkeypatch.setattr(inference, "onnxruntime_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="ppgan_lite.deploy"):
        backend = load_generator(dcgan_export.directory, backend="auto",
                                 cache_dir=str(tmp_path))
    assert isinstance(backend, PaddleInferenceBackend)
    notices = [r for r in caplog.records if "onnxruntime is not installed" in r.getMessage()]
    assert len(notices) == 1 and notices[0].levelno == logging.INFO
    assert "\n" not in notices[0].getMessage()
    assert _onnx_files(str(tmp_path)) == []


def test_auto_falls_back_to_paddle_when_conversion_fails(dcgan_export, monkeypatch, caplog,
                                                         tmp_path):
    needs_onnx()

    def fails(*args, **kwargs):
        raise meta.ExportError("paddle2onnx 2.1.0 could not convert 'model.json': no op x")

    monkeypatch.setattr(inference, "onnx_bytes", fails)
    with caplog.at_level(logging.WARNING, logger="ppgan_lite.deploy"):
        backend = load_generator(dcgan_export.directory, cache_dir=str(tmp_path))
    assert isinstance(backend, PaddleInferenceBackend)
    assert any("no op x" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ reuse
def test_paddle_predictor_is_created_once(dcgan_export, monkeypatch):
    from paddle import inference as paddle_inference

    created = []
    real = paddle_inference.create_predictor
    monkeypatch.setattr(paddle_inference, "create_predictor",
                        lambda config: created.append(1) or real(config))
    backend = load_generator(dcgan_export.directory, backend="paddle")
    outs = [backend(dcgan_export.sample(b, seed=b)) for b in (1, 4, 2)]
    assert [o.shape[0] for o in outs] == [1, 4, 2]
    assert len(created) == 1


class ScaleFactorUpsample(paddle.nn.Layer):
    """A float scale_factor upsampling: paddle.inference 3.3's oneDNN executor cannot
    run its float-list attribute, so the backend must switch to Paddle's CPU kernels."""

    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


def test_paddle_backend_runs_programs_onednn_cannot(tmp_path):
    ex.export_layer(ScaleFactorUpsample(), [NetInput("image", "image", (3, 8, 8))],
                    str(tmp_path))
    backend = load_generator(str(tmp_path), backend="paddle")
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 8, 8)).astype("float32")
    want = x.repeat(2, axis=2).repeat(2, axis=3)
    for _ in range(2):  # the switch (if any) happens once; later calls just run
        np.testing.assert_array_equal(backend(x), want)


# ------------------------------------------------------------------ dynamic
def test_dynamic_backend_returns_the_image_of_a_ugatit_generator():
    net = trained_like_model("ugatit").nets["genA2B"]
    backend = load_generator(net)  # auto on a Layer: eager
    assert isinstance(backend, DynamicBackend)
    x = np.random.RandomState(0).uniform(-1, 1, (2, 3, 64, 64))  # float64: cast
    out = backend(x)
    image, _, _ = net(paddle.to_tensor(x.astype("float32")))
    assert out.dtype == np.float32 and out.shape == (2, 3, 64, 64)
    np.testing.assert_allclose(out, image.numpy(), atol=1e-6)


# ------------------------------------------------------------------ errors
def test_errors_are_one_line(dcgan_export, tmp_path):
    layer = paddle.nn.Linear(2, 2)
    cases = [
        (ConfigError, lambda: load_generator(dcgan_export.directory, backend="tensorrt"),
         "unknown inference backend 'tensorrt'"),
        (WeightsNotFoundError, lambda: load_generator(str(tmp_path / "nope")),
         "does not exist"),
        (ConfigError, lambda: load_generator(layer, backend="paddle"), "backend='dynamic'"),
        (ConfigError, lambda: load_generator(dcgan_export.directory, backend="dynamic"),
         "paddle.nn.Layer"),
        (WeightsNotFoundError, lambda: load_generator(str(tmp_path), backend="paddle"),
         "no exported Paddle model"),
    ]
    for error, call, text in cases:
        with pytest.raises(error) as err:
            call()
        assert text in str(err.value) and "\n" not in str(err.value)


def test_wrong_input_shape_names_the_expected_one(dcgan_export):
    backend = load_generator(dcgan_export.directory, backend="paddle")
    with pytest.raises(DataError) as err:
        backend(np.zeros((2, 3, 32, 32), np.float32))  # an image into a noise generator
    assert "(N, 100, 1, 1)" in str(err.value)
    with pytest.raises(DataError):
        backend(np.zeros((100, 1, 1), np.float32))


def test_onnx_file_is_not_for_the_paddle_backend(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"")
    with pytest.raises(ConfigError, match="backend='onnxruntime'"):
        load_generator(str(path), backend="paddle")


def test_paddle_backend_keeps_onednn_debug_lines_off_stdout(p2c_export, capfd):
    """Paddle's oneDNN reduce_mean kernel prints a debug line per op on the first run;
    the backend keeps them off the user's console and lets other output through."""
    backend = load_generator(p2c_export.directory, backend="paddle")
    print("before")
    backend(p2c_export.sample(1))
    print("after")
    out = capfd.readouterr().out
    assert "ReduceMeanCheckIfOneDNNSupport" not in out
    assert "before" in out and "after" in out
