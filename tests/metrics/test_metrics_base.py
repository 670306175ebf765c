"""The metric contract: image layouts and ranges, the config route, error paths."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite import metrics
from ppgan_lite.metrics.base import as_nhwc_255
from ppgan_lite.utils.errors import ConfigError, DataError
from ppgan_lite.utils.registry import METRICS, build


@pytest.fixture(scope="module")
def rgb_uint8():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, size=(2, 16, 12, 3), dtype=np.uint8)  # NHWC


def test_every_layout_and_range_gives_the_same_nhwc_255(rgb_uint8):
    expected = rgb_uint8.astype(np.float64)
    nchw = rgb_uint8.transpose(0, 3, 1, 2)
    cases = [
        (rgb_uint8, (-1, 1)),  # uint8 is 0..255 whatever input_range says
        (nchw, (0, 1)),
        (nchw.astype(np.float32) / 255.0, (0, 1)),
        (nchw.astype(np.float64) / 127.5 - 1.0, (-1, 1)),
        (rgb_uint8.astype(np.float32), (0, 255)),
        (paddle.to_tensor(nchw.astype(np.float32) / 127.5 - 1.0), (-1, 1)),
    ]
    for images, input_range in cases:
        out = as_nhwc_255(images, input_range)
        assert out.shape == (2, 16, 12, 3) and out.dtype == np.float64
        np.testing.assert_allclose(out, expected, atol=1e-4)


def test_gray_batches_and_single_images(rgb_uint8):
    gray = rgb_uint8[..., :1]
    assert as_nhwc_255(gray).shape == (2, 16, 12, 1)
    assert as_nhwc_255(gray.transpose(0, 3, 1, 2)).shape == (2, 16, 12, 1)
    single = as_nhwc_255(rgb_uint8[0].transpose(2, 0, 1), allow_single=True)
    np.testing.assert_array_equal(single[0], rgb_uint8[0])
    assert as_nhwc_255(rgb_uint8[0, :, :, 0], allow_single=True).shape == (1, 16, 12, 1)


def test_small_overshoot_is_clipped_and_a_wrong_range_is_an_error():
    images = np.full((1, 3, 8, 8), 1.005, np.float32)
    assert as_nhwc_255(images, (-1, 1)).max() == 255.0
    with pytest.raises(DataError, match=r"values in \[0, 255\] but input_range is \(-1, 1\)"):
        as_nhwc_255(np.linspace(0, 255, 192, dtype=np.float32).reshape(1, 3, 8, 8), (-1, 1))
    with pytest.raises(DataError, match="NaN"):
        as_nhwc_255(np.full((1, 3, 8, 8), np.nan, np.float32))


@pytest.mark.parametrize("shape", [(2, 4, 8, 8), (2, 8, 8), (8, 8), (2, 2, 8, 8, 3), (0, 3, 8, 8)])
def test_wrong_shapes_name_the_shape(shape):
    with pytest.raises(DataError, match=r"has shape \[") as info:
        as_nhwc_255(np.zeros(shape, np.float32))
    assert "\n" not in str(info.value)
    assert str(list(shape)) in str(info.value)


def test_bad_input_range_and_keys_are_config_errors():
    with pytest.raises(ConfigError, match="input_range"):
        metrics.PSNR(input_range=(1, -1))
    with pytest.raises(ConfigError, match="input_range"):
        metrics.PSNR(input_range="0-255")
    with pytest.raises(ConfigError, match="crop_border"):
        metrics.PSNR(crop_border=-1)
    with pytest.raises(ConfigError, match="pred_key"):
        metrics.SSIM(pred_key="")


def test_built_from_a_paddlegan_style_config():
    psnr = build({"name": "PSNR", "crop_border": 4, "test_y_channel": True,
                  "pred_key": "fake_A2B", "gt_key": "real_A"}, METRICS, "validate.metrics.psnr")
    assert (psnr.crop_border, psnr.test_y_channel, psnr.pred_key) == (4, True, "fake_A2B")
    with pytest.raises(ConfigError, match="Did you mean 'crop_border'"):
        build({"name": "PSNR", "crop_boder": 4}, METRICS)
    for name in ("PSNR", "SSIM", "FID", "KID", "FaceIdentitySimilarity", "FrechetFaceDistance"):
        assert name in METRICS


def test_update_visuals_picks_keys_and_names_missing_ones():
    rng = np.random.default_rng(0)
    real = paddle.to_tensor(rng.uniform(-1, 1, (2, 3, 16, 16)).astype("float32"))
    fake = paddle.to_tensor(rng.uniform(-1, 1, (2, 3, 16, 16)).astype("float32"))
    metric = metrics.PSNR(pred_key="fake_A2B", gt_key="real_A")
    metric.update_visuals({"real_A": real, "fake_A2B": fake, "real_B": fake})
    expected = metrics.psnr(fake.numpy(), real.numpy(), input_range=(-1, 1), quantize=True)
    assert metric.accumulate() == pytest.approx(expected, abs=1e-9)
    with pytest.raises(ConfigError, match=r"pred_key 'fake_A2B' is not a visual item.*real_A"):
        metric.update_visuals({"real_A": real})
    with pytest.raises(ConfigError, match="gt_key 'real_A'"):
        metric.update_visuals({"fake_A2B": fake})


def test_accumulate_without_data_and_mismatched_pairs_are_data_errors():
    metric = metrics.PSNR()
    with pytest.raises(DataError, match="before any update"):
        metric.accumulate()
    with pytest.raises(DataError, match=r"\[2, 8, 8, 3\] and ground truth \[2, 8, 8, 1\]"):
        metric.update(np.zeros((2, 3, 8, 8), np.uint8), np.zeros((2, 1, 8, 8), np.uint8))
    with pytest.raises(DataError, match="needs ground-truth"):
        metric.update(np.zeros((2, 3, 8, 8), np.uint8))


def test_importing_metrics_does_not_import_the_models():
    """Models point down to metrics (docs/architecture.md): metrics never import
    models, so a broken model file cannot break PSNR or FID."""
    import os
    import subprocess
    import sys

    code = ("import sys, ppgan_lite.metrics; "
            "print(sorted(m for m in sys.modules if m.startswith('ppgan_lite.models')))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
