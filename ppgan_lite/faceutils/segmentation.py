"""Person masks for an aligned face crop, and compositing on white.

PaddleGAN's photo2cartoon segments the crop with an FCN-HRNetW18 ("faceseg")
whose weights it downloads; ppgan_lite works offline and offers:

* ``selfie`` (default): MediaPipe's selfie-segmentation model rebuilt as a
  Paddle net (``selfie_net.py``, 106 k parameters, weights in ``weights/``).
  The general (256x256) and landscape (144x256) models are averaged and the
  probability is ramped, ``clip((p - 0.3) / 0.4, 0, 1)``, which firms up the
  uncertain band at hair and shoulders;
* ``faceseg``: PaddleGAN's FCN-HRNetW18 (``faceseg_net.py``) with the user's copy
  of ``faceseg_FCN-HRNetW18.pdparams`` (``weight_path``, else
  ``<cache>/photo2cartoon/``; never downloaded);
* ``grabcut``: weights-free, OpenCV's GrabCut seeded from the 68 landmarks;
* ``none``: an all-ones mask;
* a callable ``f(rgb_crop, landmarks) -> HxW mask in [0, 1]`` for anything else.
"""
import difflib
import functools
import os

import cv2
import numpy as np

from ..utils.cache import CACHE_ENV, cache_root
from ..utils.errors import ConfigError, DataError, WeightsNotFoundError

METHODS = ("selfie", "grabcut", "none", "faceseg")


def segment(rgb_crop, landmarks=None, method="selfie", **options):
    """HxW float32 mask in [0, 1] of the person in ``rgb_crop`` (uint8 RGB).

    landmarks: 68 (x, y) points in crop coordinates (``AlignInfo.landmarks``);
      needed by 'grabcut', passed on to a callable.
    options: keyword arguments of the method (``selfie_mask``, ``faceseg_mask``,
      ``grabcut_mask``).
    """
    rgb = _as_rgb(rgb_crop)
    if callable(method):
        return _checked_mask(method(rgb, landmarks), rgb.shape[:2], getattr(
            method, "__name__", "the segmentation callable"))
    if method == "selfie":
        return selfie_mask(rgb, **options)
    if method == "grabcut":
        if landmarks is None:
            raise ConfigError("method 'grabcut' needs the 68 landmarks of the crop "
                              "(AlignInfo.landmarks): pass landmarks=...")
        return grabcut_mask(rgb, landmarks, **options)
    if method == "none":
        return np.ones(rgb.shape[:2], np.float32)
    if method == "faceseg":
        return faceseg_mask(rgb, **options)
    close = difflib.get_close_matches(str(method), METHODS, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ConfigError(f"unknown segmentation method {method!r}.{hint} "
                      f"Use one of {', '.join(METHODS)} or a callable")


def composite_on_white(rgb, mask):
    """uint8 ``rgb * mask + 255 * (1 - mask)``; the mask is resized to fit if needed."""
    rgb = _as_rgb(rgb)
    mask = np.asarray(mask, dtype=np.float32)
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    if mask.shape != rgb.shape[:2]:
        mask = cv2.resize(mask, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    alpha = np.clip(mask, 0.0, 1.0)[:, :, None]
    return np.clip(rgb * alpha + 255.0 * (1.0 - alpha) + 0.5, 0, 255).astype(np.uint8)


# -- selfie ------------------------------------------------------------------
def selfie_mask(rgb, models=("general", "landscape"), ramp=(0.3, 0.7)):
    """Averaged MediaPipe selfie probabilities, ramped from ramp[0] (0) to ramp[1] (1).

    models: any of 'general', 'landscape'; ramp=None returns the raw average.
    """
    if isinstance(models, str):
        models = (models,)
    probabilities = [_selfie_net(variant).predict(rgb) for variant in models]
    if not probabilities:
        raise ConfigError("selfie_mask needs at least one model: 'general' or 'landscape'")
    p = np.mean(probabilities, axis=0)
    if ramp is not None:
        low, high = ramp
        if not 0.0 <= low < high <= 1.0:
            raise ConfigError(f"ramp={ramp!r}: use (low, high) with 0 <= low < high <= 1")
        p = np.clip((p - low) / (high - low), 0.0, 1.0)
    return p.astype(np.float32)


class NetPredictor:
    """A segmentation net at its input size: resize the crop to it, scale to [0, 1],
    run ``probability`` (NCHW tensor -> N1HW person probability), resize back.
    Subclasses set ``net`` and ``input_size`` (height, width). A ``runner``
    (float32 NCHW ndarray -> N1HW ndarray, e.g. an exported copy of the net on
    onnxruntime) replaces the eager run."""

    def interpolation(self, rgb):
        height, width = self.input_size
        shrink = rgb.shape[0] > height or rgb.shape[1] > width
        return cv2.INTER_AREA if shrink else cv2.INTER_LINEAR

    def probability(self, x):
        raise NotImplementedError

    def predict(self, rgb, runner=None):
        import paddle

        height, width = self.input_size
        x = cv2.resize(rgb, (width, height), interpolation=self.interpolation(rgb))
        x = x.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        if runner is not None:
            p = np.asarray(runner(x))[0, 0]
        else:
            with paddle.no_grad():
                p = self.probability(paddle.to_tensor(x)).numpy()[0, 0]
        return cv2.resize(p, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)


class SelfiePredictor(NetPredictor):
    """One SelfieSegNet variant."""

    def __init__(self, variant):
        from .selfie_net import INPUT_SIZES, load_selfie_net

        self.net = load_selfie_net(variant)
        self.input_size = INPUT_SIZES[variant]

    def probability(self, x):
        return self.net(x)


@functools.lru_cache(maxsize=None)
def _selfie_net(variant):
    return SelfiePredictor(variant)


# -- faceseg -----------------------------------------------------------------
def faceseg_mask(rgb, weight_path=None, runner=None):
    """Person probability of PaddleGAN's FCN-HRNetW18, soft: PaddleGAN takes the
    argmax of the two classes (a hard 0/255 mask); this is the softmax probability
    of the person class, resized back to the crop, in [0, 1] (``> 0.5`` at the net's
    resolution is that argmax). Input as PaddleGAN's FaceSeg: RGB, 384x384 by
    ``INTER_AREA``, in [0, 1].

    weight_path: a ``faceseg_FCN-HRNetW18.pdparams``; None looks in
      ``<cache>/photo2cartoon/`` (``$PPGAN_LITE_CACHE`` or ``~/.cache/ppgan_lite``).
    runner: runs the net instead of paddle's eager mode (see ``NetPredictor``); the
      Photo2CartoonPredictor passes an onnxruntime copy, about 1.7x faster.
    """
    p = load_faceseg(weight_path).predict(rgb, runner)
    return np.clip(p, 0.0, 1.0).astype(np.float32)


def load_faceseg(weight_path=None):
    """The FacesegPredictor of these weights, loaded once per file; a missing file or
    one that is not a faceseg state dict is a one-line WeightsNotFoundError."""
    path = require_faceseg_weights(weight_path)
    stat = os.stat(path)  # a file replaced at the same path is loaded again
    return _faceseg_net(os.path.abspath(path), stat.st_mtime_ns, stat.st_size)


def faceseg_weights_path(weight_path=None):
    """The faceseg weights file to use, or None where there is none: ``weight_path``
    if given, else ``<cache>/photo2cartoon/faceseg_FCN-HRNetW18.pdparams``."""
    path = _faceseg_candidate(weight_path)
    return path if os.path.isfile(path) else None


def require_faceseg_weights(weight_path=None):
    """``faceseg_weights_path``, or a one-line WeightsNotFoundError saying where the
    file goes."""
    from .faceseg_net import WEIGHTS_FILE

    path = faceseg_weights_path(weight_path)
    if path is None:
        cached = _faceseg_candidate(None)
        given = (f"'{_faceseg_candidate(weight_path)}' does not exist; "
                 if weight_path is not None else "")
        raise WeightsNotFoundError(
            f"segmentation 'faceseg' needs PaddleGAN's {WEIGHTS_FILE}: {given}put it at "
            f"{cached} (the folder follows ${CACHE_ENV}) or pass its path (in Python "
            f"Photo2CartoonPredictor's seg_weight_path or segment()'s weight_path, on the "
            f"command line --seg_weight_path), or use 'selfie', which works without it")
    return path


def _faceseg_candidate(weight_path):
    from .faceseg_net import WEIGHTS_FILE

    if weight_path is not None:
        return os.path.expanduser(os.fspath(weight_path))
    return os.path.join(cache_root(), "photo2cartoon", WEIGHTS_FILE)


class FacesegPredictor(NetPredictor):
    """FaceSegNet with PaddleGAN's input: always ``INTER_AREA`` to 384x384."""

    def __init__(self, path):
        from .faceseg_net import INPUT_SIZE, load_faceseg_net

        self.net = load_faceseg_net(path)
        self.input_size = (INPUT_SIZE, INPUT_SIZE)

    def interpolation(self, rgb):
        return cv2.INTER_AREA

    def probability(self, x):
        return self.net.person_probability(x)


@functools.lru_cache(maxsize=4)
def _faceseg_net(path, mtime_ns, size):
    return FacesegPredictor(path)


# -- grabcut -----------------------------------------------------------------
def grabcut_mask(rgb, landmarks, work_size=192, iterations=5, seed=0):
    """Weights-free person mask: GrabCut seeded from the 68 landmarks.

    Sure foreground: the landmarks' hull and a neck strip; probable foreground:
    a head ellipse (hair) and a shoulder trapezoid below the chin; sure
    background: what lies above the chin outside a 1.35x head ellipse. Works at
    ``work_size`` px; OpenCV's RNG is seeded so runs repeat exactly.
    """
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2):
        raise ConfigError(f"grabcut needs 68 (x, y) landmarks, got shape {points.shape}")
    height, width = rgb.shape[:2]
    scale = work_size / max(height, width)
    small = cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    seeds = _grabcut_seeds(small.shape[:2], points * scale)
    if not (seeds == cv2.GC_BGD).any():  # GrabCut needs both models populated
        seeds[0, :] = cv2.GC_BGD
    cv2.setRNGSeed(seed)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), seeds, None, bgd, fgd,
                iterations, cv2.GC_INIT_WITH_MASK)
    person = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    person = cv2.GaussianBlur(person, (5, 5), 0)  # soften the staircase edge
    person = cv2.resize(person, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(person, 0.0, 1.0)


def _grabcut_seeds(shape, points):
    height, width = shape
    seeds = np.full(shape, cv2.GC_PR_BGD, np.uint8)
    jaw, brows = points[0:17], points[17:27]
    face_left, face_right = jaw[:, 0].min(), jaw[:, 0].max()
    face_w = face_right - face_left
    brow_y, chin_y = brows[:, 1].min(), points[8, 1]
    face_h = chin_y - brow_y
    centre_x = (face_left + face_right) / 2
    skull_top = brow_y - 0.7 * face_h
    head_centre = (centre_x, (skull_top + chin_y) / 2)
    head_axes = (0.65 * face_w, (chin_y - skull_top) / 2 + 0.05 * face_h)

    def ellipse(grow):
        canvas = np.zeros(shape, np.uint8)
        cv2.ellipse(canvas, (round(head_centre[0]), round(head_centre[1])),
                    (round(head_axes[0] * grow), round(head_axes[1] * grow)),
                    0, 0, 360, 1, -1)
        return canvas.astype(bool)

    above_chin = np.arange(height)[:, None] < chin_y
    seeds[above_chin & ~ellipse(1.35)] = cv2.GC_BGD
    seeds[ellipse(1.0)] = cv2.GC_PR_FGD
    shoulders_top = chin_y + 0.15 * face_h
    trapezoid = np.array([[centre_x - 0.45 * face_w, chin_y - 0.1 * face_h],
                          [centre_x + 0.45 * face_w, chin_y - 0.1 * face_h],
                          [centre_x + 0.8 * face_w, shoulders_top],
                          [centre_x + 1.6 * face_w, height],
                          [centre_x - 1.6 * face_w, height],
                          [centre_x - 0.8 * face_w, shoulders_top]])
    cv2.fillPoly(seeds, [np.round(trapezoid).astype(np.int32)], cv2.GC_PR_FGD)
    hull = cv2.convexHull(points.astype(np.float32))[:, 0]
    hull = (hull - hull.mean(0)) * 0.9 + hull.mean(0)
    cv2.fillPoly(seeds, [np.round(hull).astype(np.int32)], cv2.GC_FGD)
    neck = np.array([[centre_x - 0.2 * face_w, chin_y - 0.1 * face_h],
                     [centre_x + 0.2 * face_w, chin_y + 0.25 * face_h]])
    x0, y0 = np.round(neck[0]).astype(int)
    x1, y1 = np.round(neck[1]).astype(int)
    seeds[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = cv2.GC_FGD
    return seeds


# -- checks ------------------------------------------------------------------
def _as_rgb(rgb):
    image = np.asarray(rgb)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise DataError(f"expected an HxWx3 uint8 RGB crop, got {image.dtype} {image.shape}")
    return image


def _checked_mask(mask, shape, name):
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[:, :, 0]
    if mask.shape != tuple(shape):
        raise DataError(f"{name} returned a mask of shape {mask.shape}, expected {tuple(shape)}: "
                        f"return an HxW mask at the crop's size")
    if mask.dtype == np.uint8 and mask.max() > 1:
        mask = mask / 255.0  # 0..255 masks, like PaddleGAN's FaceSeg returns
    mask = mask.astype(np.float32)
    if not np.isfinite(mask).all() or mask.min() < -1e-3 or mask.max() > 1 + 1e-3:
        raise DataError(f"{name} returned values outside [0, 1]: return a float mask in [0, 1]")
    return np.clip(mask, 0.0, 1.0)
