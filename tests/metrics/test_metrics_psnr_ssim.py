"""PSNR and SSIM against scikit-image on the same inputs."""
import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite import metrics
from ppgan_lite.metrics import psnr, rgb_to_y, ssim
from ppgan_lite.utils.errors import DataError

skimage_data = pytest.importorskip("skimage.data")
skm = pytest.importorskip("skimage.metrics")
skcolor = pytest.importorskip("skimage.color")

SKIMAGE_SSIM = dict(data_range=255, gaussian_weights=True, sigma=1.5,
                    use_sample_covariance=False)


@pytest.fixture(scope="module")
def pair():
    """Two uint8 RGB 96x80 crops of the astronaut: clean and noisy (HWC)."""
    rng = np.random.default_rng(0)
    clean = skimage_data.astronaut()[100:196, 160:240]
    noisy = np.clip(clean + rng.normal(0, 12, clean.shape), 0, 255).astype(np.uint8)
    return clean, noisy


def test_psnr_equals_skimage(pair):
    clean, noisy = pair
    expected = skm.peak_signal_noise_ratio(clean, noisy, data_range=255)
    assert 20 < expected < 35
    assert psnr(clean, noisy) == pytest.approx(expected, abs=1e-4)
    assert psnr(clean[4:-4, 4:-4], noisy[4:-4, 4:-4]) == pytest.approx(
        psnr(clean, noisy, crop_border=4), abs=1e-12)


def test_ssim_equals_skimage_with_the_gaussian_window(pair):
    clean, noisy = pair
    a, b = clean.astype(np.float64), noisy.astype(np.float64)
    expected = skm.structural_similarity(a, b, channel_axis=-1, **SKIMAGE_SSIM)
    assert 0.3 < expected < 0.9
    assert ssim(clean, noisy) == pytest.approx(expected, abs=1e-4)
    assert abs(ssim(clean, noisy) - expected) < 1e-10  # same maths, float64 throughout
    # what agreement needs: skimage's defaults (7x7 uniform window, sample covariance)
    # and sample covariance alone give other numbers
    assert abs(skm.structural_similarity(clean, noisy, channel_axis=-1, data_range=255)
               - expected) > 1e-2
    sample_cov = dict(SKIMAGE_SSIM, use_sample_covariance=True)
    assert abs(skm.structural_similarity(a, b, channel_axis=-1, **sample_cov) - expected) > 1e-4


def test_y_channel_is_bt601_as_skimage_computes_it(pair):
    clean, noisy = pair
    y_clean, y_noisy = (skcolor.rgb2ycbcr(x)[..., 0] for x in (clean, noisy))
    np.testing.assert_allclose(rgb_to_y(clean[None].astype(np.float64))[0, ..., 0], y_clean,
                               atol=1e-9)
    assert psnr(clean, noisy, test_y_channel=True) == pytest.approx(
        skm.peak_signal_noise_ratio(y_clean, y_noisy, data_range=255), abs=1e-4)
    expected = skm.structural_similarity(y_clean[4:-4, 4:-4], y_noisy[4:-4, 4:-4],
                                         **SKIMAGE_SSIM)
    assert ssim(clean, noisy, crop_border=4, test_y_channel=True) == pytest.approx(
        expected, abs=1e-4)


def test_metric_classes_average_per_image_like_paddlegan(pair):
    clean, noisy = pair
    rng = np.random.default_rng(3)
    noisier = np.clip(clean + rng.normal(0, 30, clean.shape), 0, 255).astype(np.uint8)
    gts = np.stack([clean, clean]).transpose(0, 3, 1, 2)  # NCHW uint8
    preds = np.stack([noisy, noisier]).transpose(0, 3, 1, 2)
    for cls, function in ((metrics.PSNR, psnr), (metrics.SSIM, ssim)):
        metric = cls(crop_border=2)
        metric.update(preds[:1], gts[:1])
        metric.update(preds[1:], gts[1:])
        per_image = [function(noisy, clean, crop_border=2), function(noisier, clean, crop_border=2)]
        assert per_image[0] != pytest.approx(per_image[1], abs=1e-3)
        assert metric.accumulate() == pytest.approx(np.mean(per_image), abs=1e-10)
        metric.reset()
        with pytest.raises(DataError):
            metric.accumulate()


def test_gan_range_tensors_are_quantised_like_paddlegan(pair):
    clean, noisy = pair
    to_gan = lambda x: paddle.to_tensor(x.transpose(2, 0, 1)[None].astype("float32") / 127.5 - 1)
    fake = to_gan(noisy) + 0.003  # off the uint8 grid by 0.38 of a level
    metric = metrics.PSNR()
    metric.update(fake, to_gan(clean))
    assert metric.accumulate() == pytest.approx(psnr(noisy, clean), abs=1e-4)
    unrounded = metrics.PSNR(quantize=False)
    unrounded.update(fake, to_gan(clean))
    assert abs(unrounded.accumulate() - psnr(noisy, clean)) > 1e-3


def test_gray_images_and_identical_images(pair):
    clean, noisy = pair
    gray_clean, gray_noisy = clean[..., 1], noisy[..., 1]
    assert psnr(gray_clean, gray_noisy) == pytest.approx(
        skm.peak_signal_noise_ratio(gray_clean, gray_noisy, data_range=255), abs=1e-4)
    assert ssim(gray_clean, gray_noisy) == pytest.approx(
        skm.structural_similarity(gray_clean.astype(float), gray_noisy.astype(float),
                                  **SKIMAGE_SSIM), abs=1e-4)
    # the Y channel of a gray image is the image itself (PaddleGAN's to_y_channel)
    assert psnr(gray_clean, gray_noisy, test_y_channel=True) == psnr(gray_clean, gray_noisy)
    assert psnr(clean, clean) == float("inf")
    assert ssim(clean, clean) == pytest.approx(1.0, abs=1e-12)
    # [0, 1] floats through input_range
    assert psnr(clean / 255.0, noisy / 255.0, input_range=(0, 1)) == pytest.approx(
        psnr(clean, noisy), abs=1e-9)


def test_too_small_images_are_data_errors(pair):
    clean, noisy = pair
    with pytest.raises(DataError, match="crop_border=48 leaves nothing"):
        psnr(clean, noisy, crop_border=48)
    with pytest.raises(DataError, match="at least 11x11"):
        ssim(clean[:10, :10], noisy[:10, :10])
