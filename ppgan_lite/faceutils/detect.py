"""Face detection and landmarks with dlib (HOG or MMOD-CNN detector).

PaddleGAN's photo2cartoon flow detects with dlib's HOG detector on a copy
resized to 361 px, upsampling once, and takes the largest box. ppgan_lite keeps
dlib and the 68-point landmarks, and changes three things:

* faces are ranked by detector confidence *and* size (``Face.rank``): on skimage's
  astronaut the HOG detector also fires weakly (score ~0.1 against ~1.2-1.5)
  on the suit, with a box as large as the face, and "largest box" can pick it;
* the detector's upsampling is a ladder (0, then 1, then 2) so ~25-80 px faces
  are found without paying for upsampling on ordinary portraits;
* large photos are searched on a copy at most ``max_side`` px (and within a
  pixel budget, so a 10 000 px photo never blows memory), while landmarks are
  fitted on a full-resolution cut-out around each face.

The dlib models come from the ``face-recognition-models`` wheel and are loaded
once per process.
"""
import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..utils.errors import ConfigError, DataError, FaceNotFoundError, WeightsNotFoundError

# Upsampled detection image size allowed per detector (pixels). HOG with
# upsample 2 on a 1600 px image peaks at ~0.55 GB and ~3.5 s; dlib's CNN takes
# ~1.3 GB on a 1024x1024 input.
PIXEL_BUDGET = {"hog": 1600 * 1600 * 16, "cnn": 1024 * 1024}
CONFIDENT_SCORE = 0.5   # stop the upsampling ladder once a face scores this much
LANDMARK_FACE_PX = 256  # landmarks are fitted with the face at most this wide


@dataclass
class Face:
    """One detection in the input image's pixel coordinates.

    box: (left, top, right, bottom), right/bottom exclusive, float.
    score: the detector's confidence (HOG SVM margin, or MMOD confidence).
    landmarks: (68, 2) or (5, 2) float32 (x, y) in dlib's point order.
    upsample: the detector upsampling that found it.
    """
    box: tuple
    score: float
    landmarks: np.ndarray
    upsample: int = 0
    detector: str = "hog"

    @property
    def width(self):
        return self.box[2] - self.box[0]

    @property
    def height(self):
        return self.box[3] - self.box[1]

    @property
    def rank(self):
        """Size weighted by confidence: a weak hit counts for a fraction of its size.

        Scores of 1 and above count fully, so among confident faces the largest
        wins (PaddleGAN's rule); a 0.1-score false hit counts as a tenth of its size.
        """
        return math.sqrt(max(self.width * self.height, 0.0)) * min(max(self.score, 0.0), 1.0)


# a smaller image cannot hold a face the detector finds (its window is 80 px at 4x)
MIN_IMAGE_SIDE = 8


def best_face(faces, name="the image"):
    """The face to use: highest ``Face.rank`` (confidence-weighted size)."""
    if not faces:
        raise FaceNotFoundError(
            f"no face found in {name}: use a photo with a visible frontal face, "
            f"at least ~24 px wide")
    return max(faces, key=lambda f: f.rank)


def detect_faces(rgb, upsample="auto", max_side=1600, detector="hog", landmarks=68,
                 min_score=0.0, min_face_size=20, name="the image"):
    """All faces in ``rgb`` (HxW or HxWx3/4 uint8), best first (see ``Face.rank``).

    upsample: 'auto' tries 0, 1, 2 (within the pixel budget) until a face scores
      >= CONFIDENT_SCORE and keeps the level with the best face; or an int.
    max_side: the longest side of the copy the detector sees; boxes and landmarks
      are mapped back to ``rgb``.
    detector: 'hog' (fast) or 'cnn' (dlib's MMOD CNN: more robust, ~10x slower).
    landmarks: 68 (needed by align_crop and the grabcut mask) or 5.
    min_score: the detector threshold (dlib's ``adjust_threshold``).
    min_face_size: faces narrower than this (px, in ``rgb``) are dropped.
    Raises FaceNotFoundError when no face (or only too-small ones) is found.
    """
    if detector not in PIXEL_BUDGET:
        raise ConfigError(f"unknown face detector '{detector}': use 'hog' or 'cnn'")
    if landmarks not in (68, 5):
        raise ConfigError(f"landmarks={landmarks!r} is not offered: use 68 or 5")
    image = _as_detector_input(rgb, name)
    height, width = image.shape[:2]
    budget = PIXEL_BUDGET[detector]
    scale = min(1.0, max_side / max(height, width), math.sqrt(budget / (height * width)))
    small = image if scale == 1.0 else cv2.resize(
        image, (max(1, round(width * scale)), max(1, round(height * scale))),
        interpolation=cv2.INTER_AREA)
    scale_x, scale_y = small.shape[1] / width, small.shape[0] / height

    levels = _upsample_levels(upsample, small.shape[0] * small.shape[1], budget)
    found, best_score = [], -np.inf
    for level in levels:
        hits = _run_detector(detector, small, level, min_score)
        top = max((s for _, s in hits), default=-np.inf)
        if top > best_score:
            found, best_score = [(box, s, level) for box, s in hits], top
        if best_score >= CONFIDENT_SCORE:
            break

    if not found:
        searched = "" if scale == 1.0 else (
            f" (searched a {small.shape[1]}x{small.shape[0]} copy: raise max_side "
            f"for small faces in large photos)")
        raise FaceNotFoundError(
            f"no face found in {name}: use a photo with a visible frontal face, "
            f"at least ~24 px wide{searched}")

    faces = []
    for (left, top, right, bottom), score, level in found:
        box = (left / scale_x, top / scale_y, right / scale_x, bottom / scale_y)
        faces.append(Face(box=box, score=float(score),
                          landmarks=_fit_landmarks(image, box, landmarks),
                          upsample=level, detector=detector))
    usable = [f for f in faces if f.width >= min_face_size]
    if not usable:
        widest = max(f.width for f in faces)
        raise FaceNotFoundError(
            f"the face found in {name} is only {widest:.0f} px wide (< {min_face_size}): "
            f"use a photo where the face is at least {min_face_size} px wide")
    return sorted(usable, key=lambda f: f.rank, reverse=True)


def _as_detector_input(rgb, name):
    """uint8 HxW or HxWx3, C-contiguous (what dlib accepts)."""
    image = np.asarray(rgb)
    if image.dtype != np.uint8:
        raise DataError(f"{name} is {image.dtype}, expected uint8 RGB: "
                        f"convert with np.clip(x, 0, 255).astype(np.uint8)")
    if image.ndim == 3 and image.shape[2] in (1, 3, 4):
        image = image[:, :, 0] if image.shape[2] == 1 else image[:, :, :3]
    if image.ndim not in (2, 3):
        raise DataError(f"{name} has shape {image.shape}: expected an HxWx3 RGB image")
    if min(image.shape[:2]) < MIN_IMAGE_SIDE:
        raise DataError(f"{name} is only {image.shape[1]}x{image.shape[0]} px: too small to "
                        f"find a face in (at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE}; a face "
                        f"needs ~24 px or more)")
    return np.ascontiguousarray(image)


def _upsample_levels(upsample, pixels, budget):
    if upsample == "auto":
        levels = [u for u in (0, 1, 2) if pixels * 4 ** u <= budget]
        return levels or [0]
    if not isinstance(upsample, (int, np.integer)) or isinstance(upsample, bool) \
            or not 0 <= upsample <= 4:
        raise ConfigError(f"upsample={upsample!r}: use 'auto' or an int from 0 to 4")
    if upsample > 0 and pixels * 4 ** upsample > budget:
        raise ConfigError(f"upsample={upsample} on a {pixels / 1e6:.1f} Mpx detection copy "
                          f"would need {pixels * 4 ** upsample / 1e6:.0f} Mpx: lower max_side "
                          f"or upsample, or use upsample='auto'")
    return [int(upsample)]


def _run_detector(detector, image, upsample, min_score):
    """[((left, top, right, bottom), score)] in ``image`` pixels, right/bottom exclusive."""
    if detector == "hog":
        rects, scores, _ = _hog_detector().run(image, upsample, min_score)
        return [((r.left(), r.top(), r.right() + 1, r.bottom() + 1), s)
                for r, s in zip(rects, scores)]
    hits = _cnn_detector()(image, upsample)
    return [((d.rect.left(), d.rect.top(), d.rect.right() + 1, d.rect.bottom() + 1),
             d.confidence) for d in hits if d.confidence >= min_score]


def _fit_landmarks(image, box, count):
    """Landmarks on a full-resolution cut-out around ``box``, face <= LANDMARK_FACE_PX."""
    dlib = _dlib()
    left, top, right, bottom = box
    size = max(right - left, bottom - top)
    height, width = image.shape[:2]
    x0, y0 = max(0, int(left - size / 2)), max(0, int(top - size / 2))
    x1, y1 = min(width, int(right + size / 2) + 1), min(height, int(bottom + size / 2) + 1)
    region = image[y0:y1, x0:x1]
    ratio = min(1.0, LANDMARK_FACE_PX / max(size, 1.0))
    if ratio < 1.0:
        region = cv2.resize(region, (max(1, round(region.shape[1] * ratio)),
                                     max(1, round(region.shape[0] * ratio))),
                            interpolation=cv2.INTER_AREA)
    rect = dlib.rectangle(round((left - x0) * ratio), round((top - y0) * ratio),
                          round((right - x0) * ratio) - 1, round((bottom - y0) * ratio) - 1)
    shape = _shape_predictor(count)(np.ascontiguousarray(region), rect)
    points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
    return points / ratio + np.array([x0, y0], dtype=np.float32)


def _dlib():
    try:
        import dlib
    except ImportError as e:
        raise ConfigError(f"dlib is not importable ({e}): pip install dlib-bin") from None
    return dlib


def _model_path(kind):
    try:
        import face_recognition_models as models
    except ImportError:
        raise WeightsNotFoundError(
            "dlib's face models are missing: pip install face-recognition-models") from None
    return {"68": models.pose_predictor_model_location,
            "5": models.pose_predictor_five_point_model_location,
            "cnn": models.cnn_face_detector_model_location}[kind]()


@functools.lru_cache(maxsize=None)
def _hog_detector():
    return _dlib().get_frontal_face_detector()


@functools.lru_cache(maxsize=None)
def _cnn_detector():
    return _dlib().cnn_face_detection_model_v1(_model_path("cnn"))


@functools.lru_cache(maxsize=None)
def _shape_predictor(count):
    return _dlib().shape_predictor(_model_path(str(count)))
