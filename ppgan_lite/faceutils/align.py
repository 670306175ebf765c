"""Align a face by its eyes and cut a white-padded head-and-shoulders square.

PaddleGAN behaviour kept (photo2cartoon's ``align_crop``, itself from
minivision's photo2cartoon):
  * the angle comes from the outer eye corners, 68-point landmarks 36 and 45;
    the image is rotated about its centre on a canvas grown to hold it, and
    landmarks are carried through the same matrix;
  * the crop is the rotated landmarks' box grown by 0.8 x its height above,
    0.3 x its height below and 0.3 x its width on each side, then the shorter
    side is grown (centred) to a square, with PaddleGAN's integer rounding;
  * whatever falls outside the photo is white (255), bilinear sampling.
Changed: rotation, crop and optional resize are one affine warp of the crop
area only (no full-size rotated copy of a large photo; identical pixels up to
the one-pixel edge of the rotated canvas), ``atan2`` instead of ``arctan(dy/dx)``
(same angle for an upright face, no division by zero), and the transform is
returned so a result can be pasted back.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from ..utils.errors import ConfigError, DataError

LEFT_EYE_OUTER, RIGHT_EYE_OUTER = 36, 45  # dlib 68-point order, image left/right
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 0.8, 0.3, 0.3  # PaddleGAN's crop margins


@dataclass
class AlignInfo:
    """How the crop was made from the source photo.

    matrix: 2x3 affine mapping source (x, y) to crop (x, y).
    angle: degrees the photo was rotated by (counter-clockwise on screen) to level the eyes.
    landmarks: the landmarks in crop coordinates.
    side: the crop's side at source scale (PaddleGAN's crop size); scale = size / side.
    source_shape: (height, width) of the source photo.
    """
    matrix: np.ndarray
    angle: float
    landmarks: np.ndarray
    side: int
    scale: float
    source_shape: tuple

    @property
    def inverse(self):
        return cv2.invertAffineTransform(self.matrix)

    def to_crop(self, points):
        return _apply(self.matrix, points)

    def to_source(self, points):
        return _apply(self.inverse, points)

    def paste_back(self, source, crop, mask=None):
        """``source`` with ``crop`` (e.g. the cartoon) warped back in place.

        mask: HxW in [0, 1] at the crop's size; only masked pixels are pasted
        (everything inside the crop square if None). Only the crop's footprint is
        warped, so a large source stays cheap.
        """
        source = np.asarray(source)
        height, width = source.shape[:2]
        if mask is None:
            mask = np.ones(crop.shape[:2], np.float32)
        corners = self.to_source([[0, 0], [crop.shape[1], 0], [0, crop.shape[0]],
                                  [crop.shape[1], crop.shape[0]]])
        x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int), 0)
        x1 = min(width, int(np.ceil(corners[:, 0].max())) + 1)
        y1 = min(height, int(np.ceil(corners[:, 1].max())) + 1)
        if x1 <= x0 or y1 <= y0:
            return source.copy()
        back = self.inverse.copy()
        back[:, 2] -= (x0, y0)  # crop -> region
        size = (x1 - x0, y1 - y0)
        patch = cv2.warpAffine(crop, back, size, flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(mask.astype(np.float32), back, size, flags=cv2.INTER_LINEAR,
                               borderValue=0)
        if patch.ndim == 3:
            alpha = alpha[:, :, None]
        out = source.copy()
        region = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = np.clip(region * (1 - alpha) + patch * alpha + 0.5, 0, 255
                                    ).astype(source.dtype)
        return out


def align_crop(rgb, landmarks, size=None):
    """(square RGB uint8 crop, AlignInfo) of the face with 68-point ``landmarks``.

    size: None keeps PaddleGAN's native crop size; an int resizes (shrinking via
    INTER_AREA, as PaddleGAN's predictor does before its 256x256 generator).
    """
    image = _as_rgb(rgb)
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2):
        raise ConfigError(f"align_crop needs 68 (x, y) landmarks, got shape {points.shape}: "
                          f"detect with detect_faces(..., landmarks=68)")
    height, width = image.shape[:2]
    rotate, angle = _level_eyes(points, width, height)
    rotated = _apply(rotate, points)
    left, top, side = _paddlegan_square(rotated)

    to_crop = rotate.copy()
    to_crop[:, 2] -= (left, top)
    side_px = side + 1  # PaddleGAN's crop is (bottom - top + 1) pixels
    out_size = side_px if size is None else int(size)
    if out_size < 1:
        raise ConfigError(f"align_crop size={size!r}: use None or a positive int")
    # Warp straight to the output size when enlarging or shrinking a little;
    # shrinking a lot goes through an area resize to avoid aliasing.
    warp_scale = out_size / side_px if out_size * 2 >= side_px else 2 * out_size / side_px
    warp_side = max(1, round(side_px * warp_scale))
    matrix = to_crop * warp_scale
    crop = cv2.warpAffine(image, matrix, (warp_side, warp_side), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
    if warp_side != out_size:
        crop = cv2.resize(crop, (out_size, out_size), interpolation=cv2.INTER_AREA)
        matrix = matrix * (out_size / warp_side)
    info = AlignInfo(matrix=matrix, angle=angle, landmarks=_apply(matrix, points),
                     side=side_px, scale=out_size / side_px, source_shape=(height, width))
    return crop, info


def _level_eyes(points, width, height):
    """PaddleGAN's rotation: about the image centre, onto a canvas that holds it."""
    dx, dy = points[RIGHT_EYE_OUTER] - points[LEFT_EYE_OUTER]
    radian = np.arctan2(dy, dx)
    cos, sin = np.cos(radian), np.sin(radian)
    new_w = int(width * abs(cos) + height * abs(sin))
    new_h = int(width * abs(sin) + height * abs(cos))
    shift_x, shift_y = new_w // 2 - width // 2, new_h // 2 - height // 2
    matrix = np.array([
        [cos, sin, (1 - cos) * width / 2 - sin * height / 2 + shift_x],
        [-sin, cos, sin * width / 2 + (1 - cos) * height / 2 + shift_y]])
    return matrix, float(np.degrees(radian))


def _paddlegan_square(points):
    """(left, top, side) of PaddleGAN's head-and-shoulders square (ints, side+1 px)."""
    lms_left, lms_top = points.min(0)
    lms_right, lms_bottom = points.max(0)
    face_h, face_w = lms_bottom - lms_top, lms_right - lms_left
    top = int(lms_top - MARGIN_TOP * face_h)
    bottom = int(lms_bottom + MARGIN_BOTTOM * face_h)
    left = int(lms_left - MARGIN_SIDE * face_w)
    right = int(lms_right + MARGIN_SIDE * face_w)
    if bottom - top > right - left:
        left -= ((bottom - top) - (right - left)) // 2
        side = bottom - top
    else:
        top -= ((right - left) - (bottom - top)) // 2
        side = right - left
    return left, top, side


def _apply(matrix, points):
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return points @ matrix[:, :2].T + matrix[:, 2]


def _as_rgb(rgb):
    image = np.asarray(rgb)
    if image.dtype != np.uint8:
        raise DataError(f"align_crop needs a uint8 RGB image, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return np.ascontiguousarray(image[:, :, :3])
    raise DataError(f"align_crop needs an HxWx3 RGB image, got shape {image.shape}")
