"""The offline photo2cartoon demo set (``tools/prepare_data.py --demo``), built in a
few seconds from images that ship with installed packages:

A (photos): skimage's astronaut, aligned with the predictor's face crop (dlib
detection, eye levelling, head-and-shoulders square, person mask, white
background) in a few jittered variants, and LFW faces 0-49 of
``skimage.data.lfw_subset()``.
B (cartoons): matplotlib's Grace Hopper photo (same crop and variants) and LFW
faces 50-99, turned into cartoons with OpenCV: edge-preserving bilateral
smoothing, k-means colour quantisation and dark edges from an adaptive threshold.
A and B come from disjoint source photos; five LFW faces per side are held out
in testA/testB. Everything is seeded: the same arguments give the same files.

The LFW faces (25x25 grey, forehead to chin) are upscaled and used as they are.
The detector does find 94 of the 100 on a 4x copy, but the predictor's crop
(0.8 face-heights above the brows, 0.3 below the chin) would make each one a small
face floating in white padding, where the person mask comes out empty. They are
tinted with a jittered skin-tone duotone, on both sides alike, so A and B differ
only in the cartoon style, not in colour.
"""
import os
import time

import cv2
import numpy as np

from ..utils.errors import DataError
from ..utils.image_io import write_image
from .demo_sets import package_photo, prepare_out_dir, write_manifest

KIND = "photo2cartoon"
DEFAULT_OUT = os.path.join("data", "photo2cartoon_demo")
SPLITS = ("trainA", "trainB", "testA", "testB")
LFW_FACES = 100          # lfw_subset(): the first 100 of its 200 images are faces
LFW_HELD_OUT = 5         # per side, the last faces of each half go to test
COLOUR_VARIANTS = 6      # jittered copies of each colour photo (the first is unchanged)


# ---------------------------------------------------------------- sources
def lfw_faces():
    """The 100 LFW faces of scikit-image as (100, 25, 25) uint8."""
    from skimage import data
    faces = data.lfw_subset()[:LFW_FACES]
    return np.clip(np.round(faces * 255.0), 0, 255).astype(np.uint8)


def aligned_face(rgb, size, name):
    """The predictor's crop and person mask: best dlib face, eyes levelled,
    head-and-shoulders square of ``size`` px, person segmented."""
    from ppgan_lite.faceutils import align_crop, best_face, detect_faces, segment
    face = best_face(detect_faces(rgb, name=name), name=name)
    crop, info = align_crop(rgb, face.landmarks, size=size)
    return crop, segment(crop, info.landmarks)


def colour_variant(crop, mask, rng=None):
    """The crop on white as the predictor makes it; with ``rng`` first jittered
    (the person only: the background stays pure white)."""
    from ppgan_lite.faceutils import composite_on_white
    if rng is not None:
        crop, mask = jitter(crop, mask, rng)
    return composite_on_white(crop, mask)


# ---------------------------------------------------------------- look
def jitter(rgb, mask, rng, max_angle=6.0, max_scale=0.06, max_shift=0.04):
    """A small rotation, zoom and shift of an image and its mask, and a colour
    jitter of the image: brightness, contrast, saturation, a few degrees of hue."""
    size = rgb.shape[0]
    angle = rng.uniform(-max_angle, max_angle)
    scale = 1.0 + rng.uniform(-max_scale, max_scale)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    matrix[:, 2] += rng.uniform(-max_shift, max_shift, 2) * size
    warp = dict(dsize=(size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    rgb = cv2.warpAffine(rgb, matrix, borderValue=(255, 255, 255), **warp)
    mask = cv2.warpAffine(mask.astype(np.float32), matrix, borderValue=0, **warp)
    return colour_jitter(rgb, rng), mask


def colour_jitter(rgb, rng, brightness=0.08, contrast=0.1, saturation=0.15, hue=4.0):
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-hue, hue) / 2.0) % 180.0  # OpenCV hue: 0-180
    hsv[..., 1] *= 1.0 + rng.uniform(-saturation, saturation)
    hsv = np.clip(hsv, 0, 255).astype(np.uint8)
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)
    mean = out.mean()
    out = (out - mean) * (1.0 + rng.uniform(-contrast, contrast)) + mean
    out = out * (1.0 + rng.uniform(-brightness, brightness))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


# Skin-tone duotones (shadow RGB, highlight RGB) for the grey LFW faces.
DUOTONES = (((62, 38, 30), (252, 222, 196)), ((48, 32, 28), (236, 200, 170)),
            ((70, 46, 36), (255, 232, 214)), ((40, 30, 30), (222, 184, 150)))


def tint(grey, rng, amount=0.65):
    """Grey HxW uint8 -> RGB: a jittered skin-tone duotone mixed with the grey."""
    shadow, highlight = (np.asarray(c, np.float32) for c in
                         DUOTONES[int(rng.integers(len(DUOTONES)))])
    shift = rng.uniform(-10, 10, 3).astype(np.float32)
    g = grey.astype(np.float32)[..., None] / 255.0
    duo = shadow + shift + g * (highlight - shadow)
    out = (1.0 - amount) * g * 255.0 + amount * duo
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def lfw_photo(grey, size, rng):
    """An LFW face upscaled to ``size`` (bicubic) and tinted."""
    big = cv2.resize(grey, (size, size), interpolation=cv2.INTER_CUBIC)
    return tint(big, rng)


def cartoonize(rgb, colours=8, seed=0):
    """A cartoon of ``rgb``: flat colours and dark outlines.

    Bilateral filtering flattens texture but keeps edges; k-means reduces the
    palette to ``colours`` (seeded, so the result is reproducible); an adaptive
    threshold on the blurred grey image finds outlines, drawn in a dark brown.
    Filter sizes scale with the image so the look is the same at 64 or 256 px.
    """
    size = max(rgb.shape[:2])
    d = max(5, int(round(size / 24)) | 1)
    smooth = rgb
    for _ in range(4):
        smooth = cv2.bilateralFilter(smooth, d, 40, d)
    hsv = cv2.cvtColor(smooth, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * 1.25, 0, 255)  # cartoon palettes are brighter
    smooth = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)

    pixels = smooth.reshape(-1, 3).astype(np.float32)
    cv2.setRNGSeed(int(seed))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _, labels, centres = cv2.kmeans(pixels, colours, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    flat = centres.astype(np.uint8)[labels.ravel()].reshape(smooth.shape)

    # outlines of the smoothed image, without the specks a threshold leaves in texture
    grey = cv2.medianBlur(cv2.cvtColor(smooth, cv2.COLOR_RGB2GRAY), 3 if size < 192 else 5)
    block = max(7, int(round(size / 10)) | 1)
    edges = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                  cv2.THRESH_BINARY, block, 6) == 0
    # strokes, not dots: a generator trained on speckled outlines paints speckles
    _, blobs, stats, _ = cv2.connectedComponentsWithStats(edges.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= max(4, round(60 * size * size / 128 ** 2))
    keep[0] = False  # the background component
    alpha = keep[blobs][..., None].astype(np.float32)
    line = np.asarray((40, 26, 22), np.float32)
    out = flat.astype(np.float32) * (1 - alpha) + line * alpha
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- the set
def demo_plan():
    """(split, file stem, source id, kind) of every image, in build order.

    A comes from the astronaut and LFW faces 0-49, B from Grace Hopper and LFW
    faces 50-99: no source photo is on both sides.
    """
    half = LFW_FACES // 2
    plan = []
    for side, photo, first in (("A", "astronaut", 0), ("B", "grace_hopper", half)):
        for v in range(COLOUR_VARIANTS):
            plan.append((f"train{side}", f"{photo}_{v:02d}", photo, "colour"))
        for i in range(first, first + half):
            split = f"test{side}" if i >= first + half - LFW_HELD_OUT else f"train{side}"
            plan.append((split, f"lfw_{i:03d}", f"lfw_subset[{i}]", "lfw"))
    return plan


def build_demo(out=DEFAULT_OUT, size=128, seed=0, log=print):
    """Write the demo set under ``out`` and return ``{split: count}``.

    A folder written by an earlier ``--demo`` run is replaced; any other
    non-empty folder is refused (DataError).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 32 or size % 16:
        raise DataError(f"--size {size}: use a multiple of 16, at least 32 (the "
                        f"photo2cartoon generator halves the image 4 times)")
    start = time.time()
    prepare_out_dir(out, KIND, SPLITS)

    rng = np.random.default_rng(seed)
    aligned = {}
    faces = lfw_faces()
    files = {}
    for split, stem, source, kind in demo_plan():
        if kind == "colour":
            if source not in aligned:
                aligned[source] = aligned_face(package_photo(source), size, source)
            variant = int(stem.rsplit("_", 1)[1])
            photo = colour_variant(*aligned[source], rng if variant else None)
        else:
            photo = lfw_photo(faces[int(stem.rsplit("_", 1)[1])], size, rng)
        image = cartoonize(photo, seed=seed) if split.endswith("B") else photo
        name = f"{split}/{stem}.png"
        write_image(os.path.join(out, name), image)
        files[name] = {"source": source, "kind": "cartoon" if split.endswith("B") else "photo"}

    counts = {split: sum(1 for n in files if n.startswith(split + "/")) for split in SPLITS}
    write_manifest(out, {"kind": KIND, "size": size, "seed": seed, "counts": counts,
                         "files": files})
    log(f"photo2cartoon demo set in {out} ({size}x{size}, seed {seed}, "
        f"{time.time() - start:.1f} s):")
    for split in SPLITS:
        log(f"  {split}: {counts[split]} images")
    return counts
