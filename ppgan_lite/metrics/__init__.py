"""Validation metrics, registered in ``METRICS`` (the contract is in ``base.py``)."""
from . import psnr_ssim  # noqa: F401
from .base import Metric, as_nhwc_255  # noqa: F401
from .psnr_ssim import PSNR, SSIM, psnr, rgb_to_y, ssim  # noqa: F401
