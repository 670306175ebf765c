"""tools/export_model.py: exported programs equal the dynamic nets (paddle.inference and
ONNX), any batch size runs through one export, meta.json says what goes in, and bad
input is one line with exit code 2."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
import paddle.nn.functional as F

from export_testutils import ROOT, save_checkpoint, trained_like_model, write_config
from ppgan_lite.deploy import (ExportError, export_layer, file_sha256, load_generator,
                               run_dynamic, write_onnx)
from ppgan_lite.models.base_model import NetInput
from ppgan_lite.utils.errors import WeightsNotFoundError

IMAGE_8 = [NetInput("image", "image", (3, 8, 8))]


def _assert_close(got, want, atol):
    assert got.shape == want.shape
    assert got.dtype == np.float32
    # a meaningful comparison: the generator's output is not flat
    assert float(want.std()) > 1e-3
    diff = float(np.abs(got - want).max())
    assert diff <= atol, f"max |exported - dynamic| = {diff:.3g} > {atol}"


# ------------------------------------------------------------------ files and meta
def test_dcgan_export_writes_program_params_and_meta(dcgan_export):
    names = set(os.listdir(dcgan_export.directory))
    assert {"model.json", "model.pdiparams", "meta.json"} <= names
    assert not any(n.startswith(".") for n in names)  # no staging leftovers
    meta = dcgan_export.meta
    assert meta["model"] == "DCGANModel" and meta["net"] == "netG"
    assert meta["generator"] == "DCGenerator"
    assert meta["input_name"] == "noise" and meta["input_kind"] == "noise"
    assert meta["input_shape"] == [None, 100, 1, 1]
    assert meta["output_shape"] == [None, 3, 32, 32]
    assert meta["img_size"] == 32
    assert meta["output_range"] == [-1.0, 1.0] and meta["input_range"] is None
    assert meta["weights"]["sha256"] == file_sha256(dcgan_export.weights)
    # written atomically, but readable as any new file (not the temp file's 0600)
    umask = os.umask(0)
    os.umask(umask)
    mode = os.stat(os.path.join(dcgan_export.directory, "meta.json")).st_mode & 0o777
    assert mode == 0o666 & ~umask


def test_p2c_meta_describes_image_input(p2c_export):
    meta = p2c_export.meta
    assert (meta["model"], meta["net"], meta["generator"]) == (
        "UGATITModel", "genA2B", "ResnetUGATITP2CGenerator")
    assert meta["input_name"] == "image"
    assert meta["input_shape"] == [None, 3, 64, 64]
    assert meta["output_shape"] == [None, 3, 64, 64]
    assert meta["input_range"] == [-1.0, 1.0] and meta["img_size"] == 64


# ------------------------------------------------------------------ paddle.inference
@pytest.mark.parametrize("batch", [1, 3])
def test_dcgan_paddle_inference_equals_dynamic(dcgan_export, batch):
    backend = load_generator(dcgan_export.directory, backend="paddle")
    x = dcgan_export.sample(batch, seed=batch)
    _assert_close(backend(x), run_dynamic(dcgan_export.net, x), 1e-5)


def test_p2c_paddle_inference_equals_dynamic_for_batches_1_and_3(p2c_export):
    backend = load_generator(p2c_export.directory, backend="paddle")
    for batch in (1, 3):  # one predictor, two batch sizes
        x = p2c_export.sample(batch, seed=batch)
        out = backend(x)
        assert out.shape == (batch, 3, 64, 64)
        _assert_close(out, run_dynamic(p2c_export.net, x), 1e-5)


def test_exported_program_returns_the_image_only(ugatit_export):
    backend = load_generator(ugatit_export.directory, backend="paddle")
    x = ugatit_export.sample(2)
    image, cam_logit, heatmap = ugatit_export.net(paddle.to_tensor(x))
    out = backend(x)
    assert out.shape == tuple(image.shape) == (2, 3, 64, 64)
    assert np.abs(out).max() <= 1.0  # tanh image, not the CAM logits or heatmap
    _assert_close(out, image.numpy(), 1e-5)


# ------------------------------------------------------------------ ONNX
@pytest.mark.parametrize("kind", ["dcgan", "ugatit", "p2c"])
def test_onnx_equals_dynamic(kind, request, tmp_path):
    pytest.importorskip("onnxruntime", reason="ONNX backend needs: pip install onnxruntime")
    pytest.importorskip("paddle2onnx", reason="ONNX export needs: pip install paddle2onnx")
    exported = request.getfixturevalue(f"{kind}_export")
    onnx_path = os.path.join(exported.directory, "model.onnx")
    if kind == "dcgan":  # exported without --onnx: convert it here
        onnx_path = write_onnx(exported.directory, str(tmp_path / "dcgan.onnx"))
    else:
        assert exported.meta["files"]["onnx"] == "model.onnx"
        assert exported.meta["onnx"]["max_abs_diff_vs_paddle"] <= 1e-4
    backend = load_generator(onnx_path, backend="onnxruntime")
    for batch in (1, 3):
        x = exported.sample(batch, seed=10 + batch)
        _assert_close(backend(x), run_dynamic(exported.net, x), 1e-4)


class ScaleFactorUpsample(paddle.nn.Layer):
    """Upsampling by a float scale_factor: paddle2onnx 2.1 rejects its float-list
    attribute, the failure the export must report instead of exiting."""

    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


def test_paddle2onnx_failure_is_one_line_naming_the_cause(tmp_path):
    pytest.importorskip("paddle2onnx")
    export_layer(ScaleFactorUpsample(), IMAGE_8, str(tmp_path))
    with pytest.raises(ExportError) as err:  # paddle2onnx calls sys.exit: caught
        write_onnx(str(tmp_path))
    message = str(err.value)
    assert "paddle2onnx" in message and "FloatAttribute" in message
    assert "\n" not in message.strip()
    assert not os.path.exists(tmp_path / "model.onnx")


def _fixed_batch(x):
    if x.shape[0] < 1:  # the exported batch dimension is free (-1)
        raise ValueError("needs a known batch size")
    return x


class FailsToTrace(paddle.nn.Layer):
    def forward(self, x):
        return _fixed_batch(x)


def test_jit_save_failure_is_one_line_naming_the_function(tmp_path):
    with pytest.raises(ExportError) as err:
        export_layer(FailsToTrace(), IMAGE_8, str(tmp_path / "out"))
    message = str(err.value)
    assert "\n" not in message and "FailsToTrace" in message
    assert "ValueError: needs a known batch size" in message
    assert not os.path.exists(tmp_path / "out" / "meta.json")


def test_dy2static_message_is_cut_to_the_error_and_its_function():
    """What Paddle 3.3.1's dy2static raised for a default argument naming a module
    constant (``eps=NORM_EPS``), abridged: the export names the function and the error."""
    from ppgan_lite.deploy.export import _conversion_site
    from ppgan_lite.deploy.onnx import error_line as _one_line

    message = ("In transformed code:\n\n    File \"/root/.cache/paddle/to_static_tmp/10522/"
               "mix_instance_layer_normf2fq5zsv.py\", line 11, in create\n"
               "\tdef mix_instance_layer_norm(x, rho, gamma, beta, eps=_jst.Ld(NORM_EPS)):"
               "\n\n    NameError: name 'NORM_EPS' is not defined\n")
    exc = NameError(message)
    assert _one_line(exc) == "NameError: name 'NORM_EPS' is not defined"
    assert _conversion_site(exc) == " (in mix_instance_layer_norm)"


def test_missing_program_file_named_by_meta(dcgan_export, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dcgan_export.directory, copy)
    os.remove(copy / "model.pdiparams")
    with pytest.raises(WeightsNotFoundError, match="model.pdiparams' is missing"):
        load_generator(str(copy), backend="paddle")


# ------------------------------------------------------------------ CLI errors
def _run_cli(args):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export_model.py"),
                           *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_missing_weights_is_one_line_and_exit_2(tmp_path):
    config = write_config(str(tmp_path), "dcgan")
    missing = str(tmp_path / "nowhere.ckpt.npz")
    code, out, err = _run_cli(["-c", config, "--load", missing,
                               "--output_dir", str(tmp_path / "out")])
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and missing in lines[0]
    assert "Traceback" not in err
    assert not os.path.exists(tmp_path / "out")


@pytest.fixture(scope="module")
def dcgan_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "dcgan.ckpt.npz"
    return save_checkpoint(path, trained_like_model("dcgan"))


def _main_error(export_tool, capsys, argv):
    assert export_tool.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:")
    return err


def test_net_not_in_model(export_tool, capsys, tmp_path, dcgan_weights):
    config = write_config(str(tmp_path), "dcgan")
    err = _main_error(export_tool, capsys, ["-c", config, "--load", dcgan_weights,
                                            "--net", "genA2B", "--output_dir",
                                            str(tmp_path / "out")])
    assert "no generator 'genA2B'" in err and "netG" in err


def test_weights_of_another_model(export_tool, capsys, tmp_path, dcgan_weights):
    config = write_config(str(tmp_path), "ugatit")
    err = _main_error(export_tool, capsys, ["-c", config, "--load", dcgan_weights,
                                            "--output_dir", str(tmp_path / "out")])
    assert "no weights for the generators of UGATITModel" in err and "netG" in err


def test_weights_of_another_size(export_tool, capsys, tmp_path, dcgan_weights):
    config = write_config(str(tmp_path), "dcgan", ngf=16)
    err = _main_error(export_tool, capsys, ["-c", config, "--load", dcgan_weights,
                                            "--output_dir", str(tmp_path / "out")])
    assert "do not fit net 'netG'" in err


def test_single_net_pdparams_goes_to_the_generator(export_tool, tmp_path, dcgan_weights):
    """A PaddleGAN-style .pdparams of one net's params is the generator's."""
    model = trained_like_model("dcgan", seed=3)
    pdparams = str(tmp_path / "netG.pdparams")
    paddle.save(model.nets["netG"].state_dict(), pdparams)
    config = write_config(str(tmp_path), "dcgan")
    out = str(tmp_path / "out")
    assert export_tool.main(["-c", config, "--load", pdparams, "--output_dir", out]) == 0
    with open(os.path.join(out, "meta.json")) as f:
        assert json.load(f)["weights"]["file"] == "netG.pdparams"
    x = np.random.RandomState(0).standard_normal((2, 100, 1, 1)).astype("float32")
    got = load_generator(out, backend="paddle")(x)
    _assert_close(got, run_dynamic(model.nets["netG"], x), 1e-5)


def test_onnx_that_fails_the_check_is_not_written(export_tool, capsys, tmp_path,
                                                  dcgan_weights):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("paddle2onnx")
    config = write_config(str(tmp_path), "dcgan")
    out = tmp_path / "out"
    err = _main_error(export_tool, capsys, ["-c", config, "--load", dcgan_weights,
                                            "--output_dir", str(out), "--onnx",
                                            "--atol", "-1"])
    assert "differs from the Paddle one" in err and "was not written" in err
    assert sorted(os.listdir(out)) == ["meta.json", "model.json", "model.pdiparams"]


def test_reexport_drops_files_that_no_longer_match(export_tool, tmp_path, dcgan_weights):
    pytest.importorskip("paddle2onnx")
    config = write_config(str(tmp_path), "dcgan")
    out = tmp_path / "out"
    argv = ["-c", config, "--load", dcgan_weights, "--output_dir", str(out)]
    assert export_tool.main(argv + ["--onnx", "--skip-check"]) == 0
    assert (out / "model.onnx").exists()
    assert export_tool.main(argv) == 0  # the new program has no ONNX twin yet
    assert sorted(os.listdir(out)) == ["meta.json", "model.json", "model.pdiparams"]
    with open(out / "meta.json") as f:
        assert "onnx" not in json.load(f)["files"]


def test_onnx_without_paddle2onnx_is_refused_before_anything_is_written(
        export_tool, capsys, tmp_path, dcgan_weights, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_paddle2onnx(name, *args, **kwargs):
        if name == "paddle2onnx":
            raise ImportError("No module named 'paddle2onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_paddle2onnx)
    config = write_config(str(tmp_path), "dcgan")
    out = tmp_path / "out"
    err = _main_error(export_tool, capsys, ["-c", config, "--load", dcgan_weights,
                                            "--output_dir", str(out), "--onnx"])
    assert "--onnx needs paddle2onnx" in err and "without --onnx" in err
    assert not out.exists()
