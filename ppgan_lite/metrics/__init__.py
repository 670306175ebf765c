"""Validation metrics, registered in ``METRICS`` (the contract is in ``base.py``)."""
from . import psnr_ssim  # noqa: F401
from . import fid  # noqa: F401
from . import face_identity  # noqa: F401
from .base import Metric, as_nhwc_255  # noqa: F401
from .face_identity import (FaceEmbedder, FaceIdentitySimilarity,  # noqa: F401
                            FrechetFaceDistance, cosine_similarity)
from .fid import (FID, KID, feature_statistics, frechet_distance,  # noqa: F401
                  frechet_distance_from_features, kid)
from .psnr_ssim import PSNR, SSIM, psnr, rgb_to_y, ssim  # noqa: F401
