"""PSNR and SSIM with PaddleGAN's options (``crop_border``, ``test_y_channel``).

Both measure in the [0, 255] scale (data range 255) per image, then average over
images, as PaddleGAN's ``PSNR``/``SSIM`` metrics do.

* Y channel: ITU-R BT.601 as PaddleGAN/BasicSR compute it,
  ``Y = (65.481 R + 128.553 G + 24.966 B) / 255 + 16`` on RGB in [0, 255], not
  rounded. PaddleGAN's SSIM reverses the channel order before taking Y, so it
  weighs R and B the wrong way round; ppgan_lite takes Y of RGB in both metrics.
* SSIM: Wang et al. (2004) with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01,
  K2 = 0.03, population (not sample) covariances, float64, averaged over the
  *valid* window positions only (a 5-pixel border is dropped), per channel then
  averaged. ``skimage.metrics.structural_similarity`` gives the same number (to
  ~1e-12) with ``data_range=255, gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, channel_axis=-1`` *and float64 inputs* (it
  computes in float32 for float32 inputs, ~1e-6 off); its defaults (7x7 uniform
  window, sample covariance) give a different number.
* ``quantize`` (the metric classes' default) rounds to integers first, as
  PaddleGAN does when it turns the model's output into a uint8 image before
  measuring; the plain functions measure exactly what they are given.
* Identical images have an infinite PSNR (PaddleGAN's behaviour); the mean is
  then infinite too.
"""
import cv2
import numpy as np

from ..utils.errors import ConfigError, DataError
from ..utils.registry import METRICS
from .base import Metric, as_nhwc_255, check_input_range, check_same_shape

BT601_Y = np.array([65.481, 128.553, 24.966]) / 255.0
SSIM_WINDOW, SSIM_SIGMA = 11, 1.5


def rgb_to_y(images):
    """BT.601 luma (NHWC, [0, 255] -> [16, 235]) of RGB images; gray images unchanged."""
    if images.shape[-1] == 1:
        return images
    return (images @ BT601_Y + 16.0)[..., None]


def _prepare(img1, img2, crop_border, test_y_channel, input_range, quantize, owner,
             allow_single):
    a = as_nhwc_255(img1, input_range, f"{owner} img1/preds", allow_single)
    b = as_nhwc_255(img2, input_range, f"{owner} img2/gts", allow_single)
    check_same_shape(a, b, owner)
    if quantize:
        a, b = np.round(a), np.round(b)
    crop = _check_crop_border(crop_border, owner)
    if crop:
        if min(a.shape[1:3]) <= 2 * crop:
            raise DataError(f"{owner}: crop_border={crop} leaves nothing of "
                            f"{a.shape[1]}x{a.shape[2]} images; lower crop_border")
        a, b = a[:, crop:-crop, crop:-crop], b[:, crop:-crop, crop:-crop]
    if test_y_channel:
        a, b = rgb_to_y(a), rgb_to_y(b)
    return a, b


def _check_crop_border(crop_border, owner):
    if isinstance(crop_border, bool) or not isinstance(crop_border, (int, np.integer)) \
            or crop_border < 0:
        raise ConfigError(f"{owner}.crop_border must be an integer >= 0, got {crop_border!r}")
    return int(crop_border)


def _psnr_per_image(a, b):
    mse = ((a - b) ** 2).reshape(len(a), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(255.0 / np.sqrt(mse))


def _ssim_one_channel(x, y):
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    kernel = cv2.getGaussianKernel(SSIM_WINDOW, SSIM_SIGMA)
    r = SSIM_WINDOW // 2

    def blur(image):  # border handling is irrelevant: only valid positions are kept
        return cv2.sepFilter2D(image, cv2.CV_64F, kernel, kernel)[r:-r, r:-r]

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x ** 2
    var_y = blur(y * y) - mu_y ** 2
    cov = blur(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean()


def _ssim_per_image(a, b, owner):
    if min(a.shape[1:3]) < SSIM_WINDOW:
        raise DataError(f"{owner}: SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW} "
                        f"after crop_border, got {a.shape[1]}x{a.shape[2]}")
    return np.array([np.mean([_ssim_one_channel(np.ascontiguousarray(x[..., c]),
                                                np.ascontiguousarray(y[..., c]))
                              for c in range(a.shape[3])])
                     for x, y in zip(a, b)])


def psnr(img1, img2, crop_border=0, test_y_channel=False, input_range=(0, 255),
         quantize=False):
    """Mean PSNR (dB) over the images of two same-shape batches (or two images).

    Images: NCHW/NHWC batches or single HxW/HxWxC/CxHxW images, gray or RGB; uint8
    is read as 0..255, other dtypes per ``input_range``.
    """
    a, b = _prepare(img1, img2, crop_border, test_y_channel,
                    check_input_range(input_range, "psnr"), quantize, "psnr", True)
    return float(np.mean(_psnr_per_image(a, b)))


def ssim(img1, img2, crop_border=0, test_y_channel=False, input_range=(0, 255),
         quantize=False):
    """Mean SSIM over the images of two same-shape batches (see module docstring)."""
    a, b = _prepare(img1, img2, crop_border, test_y_channel,
                    check_input_range(input_range, "ssim"), quantize, "ssim", True)
    return float(np.mean(_ssim_per_image(a, b, "ssim")))


@METRICS.register()
class PSNR(Metric):
    """Mean per-image PSNR of ``pred_key`` against ``gt_key`` (see module docstring).

    Args:
        crop_border: pixels dropped at each edge before measuring.
        test_y_channel: measure the BT.601 Y channel only.
        quantize: round to 0..255 integers first, like PaddleGAN's uint8 images.
        input_order: accepted so PaddleGAN's metric configs load; the layout (NCHW or
            NHWC) is read from the data itself.
    """

    def __init__(self, crop_border=0, test_y_channel=False, quantize=True,
                 pred_key="fake", gt_key="real", input_range=(-1, 1), input_order="HWC"):
        self.crop_border = _check_crop_border(crop_border, type(self).__name__)
        self.test_y_channel = bool(test_y_channel)
        self.quantize = bool(quantize)
        super().__init__(pred_key, gt_key, input_range)

    def reset(self):
        self.values = []

    def _per_image(self, a, b):
        return _psnr_per_image(a, b)

    def update(self, preds, gts=None):
        self._require_gts(gts)
        owner = type(self).__name__
        a, b = _prepare(preds, gts, self.crop_border, self.test_y_channel, self.input_range,
                        self.quantize, owner, False)
        self.values.extend(float(v) for v in self._per_image(a, b))

    def accumulate(self):
        if not self.values:
            raise DataError(f"{type(self).__name__}.accumulate() before any update: "
                            f"the validation set gave no images")
        return float(np.mean(self.values))


@METRICS.register()
class SSIM(PSNR):
    """Mean per-image SSIM of ``pred_key`` against ``gt_key`` (see module docstring)."""

    def _per_image(self, a, b):
        return _ssim_per_image(a, b, type(self).__name__)
