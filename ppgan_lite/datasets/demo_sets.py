"""Offline demo sets with a known answer for pix2pix and CycleGAN, built in seconds
from photos that ship with installed packages (``PHOTO_SOURCES``).

Both are square crops of those photos (random place and scale, resized to ``size``,
randomly mirrored), and B is computed from A by a fixed OpenCV/numpy function, so a
trained generator can be scored against the exact answer (PSNR/SSIM):

- ``build_paired_demo`` (pix2pix, PaddleGAN's layout: ``train/``, ``test/`` of A|B
  side-by-side images): B = ``ink_remap(A)``, the colours rotated (R<-B, G<-R,
  B<-G) with a lifting tone curve, darkened along edges (Sobel magnitude of the
  blurred luma). Every output pixel depends on a 7x7 neighbourhood of the input
  only, smoothly, and the same way everywhere: a U-Net's outer layers, which see
  the input at full resolution through the skip connection, can represent it
  exactly, and an L1 loss (pix2pix's 100 x L1) has a gradient everywhere.
- ``build_unpaired_demo`` (CycleGAN: ``trainA/ trainB/ testA/ testB``): B =
  ``blue_tone(A)``, a per-channel tone curve that gives every photo a strong blue
  evening cast. It is per pixel, monotonic and invertible without clipping (so
  the cycle A -> B -> A can be exact), and a global colour statistic is what
  CycleGAN's discriminators pick up first. trainA and trainB are independent
  crops (unpaired); testB holds the toned copy of each testA crop under the same
  file name, so the sorted files pair up for evaluation.

The test crops come from photos no training crop uses (``TEST_PHOTOS``). Every
random choice comes from ``np.random.default_rng([seed, split])``: the same
arguments write the same bytes, and the test split does not change with the
number of training images. ``manifest.json`` records each file's photo, crop box
and mirror flag.
"""
import json
import os
import shutil
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from ..utils.errors import DataError
from ..utils.image_io import write_image

MANIFEST = "manifest.json"
PHOTO_SOURCES = {
    "astronaut": "skimage.data.astronaut()",
    "rocket": "skimage.data.rocket()",
    "motorcycle": "skimage.data.stereo_motorcycle()[0]",
    "immunohistochemistry": "skimage.data.immunohistochemistry()",
    "colorwheel": "skimage.data.colorwheel()",
    "grace_hopper": "matplotlib's mpl-data/sample_data/grace_hopper.jpg",
    "chelsea": "skimage.data.chelsea()",
    "coffee": "skimage.data.coffee()",
}
# The colour wheel covers every hue, so the colour part of the answer is seen for
# colours the few training photos lack.
TRAIN_PHOTOS = ("astronaut", "rocket", "motorcycle", "immunohistochemistry", "colorwheel",
                "grace_hopper")
TEST_PHOTOS = ("chelsea", "coffee")
CROP_MAX = 0.6  # largest crop side, as a fraction of the photo's shorter side
PAIRED_SPLITS = ("train", "test")
UNPAIRED_SPLITS = ("trainA", "trainB", "testA", "testB")


# ---------------------------------------------------------------- photos and crops
def package_photo(name):
    """RGB uint8 of one of ``PHOTO_SOURCES``."""
    if name not in PHOTO_SOURCES:
        raise ValueError(f"unknown package photo {name!r}; known: {', '.join(PHOTO_SOURCES)}")
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
            return np.asarray(im.convert("RGB"))
    from skimage import data

    if name == "motorcycle":
        return data.stereo_motorcycle()[0]
    return getattr(data, name)()


def random_crop(photo, size, rng):
    """A random square of ``photo`` resized to ``size`` and mirrored half the time;
    returns (HxWx3 uint8, {'box': [x, y, side], 'flip': bool})."""
    h, w = photo.shape[:2]
    short = min(h, w)
    low = min(size, short // 2)
    side = int(rng.integers(low, max(low, int(short * CROP_MAX)) + 1))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    flip = bool(rng.random() < 0.5)
    return crop_at(photo, [x, y, side], flip, size), {"box": [x, y, side], "flip": flip}


def crop_at(photo, box, flip, size):
    """The crop ``random_crop`` drew, from its record."""
    x, y, side = box
    interpolation = cv2.INTER_AREA if side >= size else cv2.INTER_CUBIC
    crop = cv2.resize(np.ascontiguousarray(photo[y:y + side, x:x + side]), (size, size),
                      interpolation=interpolation)
    return np.ascontiguousarray(crop[:, ::-1] if flip else crop)


def crops(photos, count, size, rng, cache):
    """``count`` crops spread evenly over ``photos``: yields (file stem, crop, record)."""
    made = {}
    for i in range(count):
        name = photos[i % len(photos)]
        if name not in cache:
            cache[name] = package_photo(name)
        crop, record = random_crop(cache[name], size, rng)
        stem = f"{name}_{made.get(name, 0):03d}"
        made[name] = made.get(name, 0) + 1
        yield stem, crop, dict(record, source=name)


def split_rng(seed, split):
    """The random stream of one split: independent of the other splits' sizes."""
    return np.random.default_rng([int(seed), zlib.crc32(split.encode())])


# ---------------------------------------------------------------- the known answers
LUMA = np.float32([0.299, 0.587, 0.114])
INK_GAIN = 2.0      # Sobel magnitude of the [0, 1] luma at which an edge is fully inked
INK_STRENGTH = 0.85  # how dark a full edge gets
INK_TONE = 0.8      # the remap's tone curve: x ** 0.8 lifts the shadows


def ink_remap(rgb):
    """pix2pix's known answer: colours rotated (R<-B, G<-R, B<-G) through the tone
    curve ``x ** INK_TONE``, times ``1 - INK_STRENGTH * edge``, with ``edge`` the
    Sobel gradient magnitude of the luma (Gaussian-blurred, 5x5, sigma 1) scaled by
    ``INK_GAIN`` and clipped to [0, 1]. HxWx3 uint8 -> HxWx3 uint8."""
    x = rgb.astype(np.float32) / 255.0
    colour = x[..., [2, 0, 1]] ** INK_TONE
    luma = cv2.GaussianBlur(x @ LUMA, (5, 5), 1.0, borderType=cv2.BORDER_REFLECT_101)
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    edge = np.clip(np.sqrt(gx * gx + gy * gy) * INK_GAIN, 0.0, 1.0)[..., None]
    return _to_uint8(colour * (1.0 - INK_STRENGTH * edge))


# out = GAIN * x ** GAMMA + OFFSET per channel (x in [0, 1]): red and green dimmed,
# blue lifted; every channel stays inside [0, 1], so nothing clips
TONE_GAIN = np.float32([0.62, 0.78, 0.70])
TONE_GAMMA = np.float32([1.25, 1.05, 0.80])
TONE_OFFSET = np.float32([0.02, 0.08, 0.26])


def blue_tone(rgb):
    """CycleGAN's known answer: ``TONE_GAIN * x ** TONE_GAMMA + TONE_OFFSET`` per
    channel. HxWx3 uint8 -> HxWx3 uint8."""
    x = rgb.astype(np.float32) / 255.0
    return _to_uint8(TONE_GAIN * x ** TONE_GAMMA + TONE_OFFSET)


def _to_uint8(x):
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- writing
def check_size(size):
    if isinstance(size, bool) or not isinstance(size, int) or size < 32 or size % 16:
        raise DataError(f"size {size!r}: use a multiple of 16, at least 32 (the generators "
                        f"halve the image 4 times or more)")


def prepare_out_dir(out, kind, folders):
    """Empty ``folders`` under ``out`` for a ``kind`` demo set. A folder this module
    wrote for the same kind is replaced; any other non-empty one is refused."""
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise DataError(f"out folder '{out}' is a file: pass a folder path")
        entries = [e for e in os.listdir(out) if not e.startswith(".")]
        manifest = os.path.join(out, MANIFEST)
        if entries and not os.path.isfile(manifest):
            raise DataError(f"out folder '{out}' is not empty and was not written by "
                            f"prepare_data.py: pass an empty or new folder")
        if os.path.isfile(manifest):
            found = read_manifest(out).get("kind", "photo2cartoon")  # the first kind had none
            if found != kind:
                raise DataError(f"out folder '{out}' holds the {found} demo set: pass "
                                f"another folder for the {kind} one")
    for folder in folders:
        shutil.rmtree(os.path.join(out, folder), ignore_errors=True)
        os.makedirs(os.path.join(out, folder))


def read_manifest(out):
    path = os.path.join(out, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise DataError(f"'{path}' cannot be read ({e}): pass another folder") from None
    if not isinstance(manifest, dict):
        raise DataError(f"'{path}' is not a manifest prepare_data.py wrote: pass another folder")
    return manifest


def write_manifest(out, manifest):
    with open(os.path.join(out, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


def write_images(out, images, threads=8):
    """Write ``{relative name: image}`` under ``out``. image_io's writes are atomic,
    and their fsync, not the PNG encoding, is most of the time of a demo set's few
    hundred small files: threads overlap the waits."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda item: write_image(os.path.join(out, item[0]), item[1]),
                      images.items()))


def _finish(out, kind, files, splits, extra, start, log, unit):
    counts = {split: sum(1 for name in files if name.startswith(split + "/")) for split in splits}
    write_manifest(out, dict(extra, kind=kind, counts=counts, files=files))
    log(f"{kind} demo set in {out} ({extra['size']} px, seed {extra['seed']}, "
        f"{time.time() - start:.1f} s):")
    for split in splits:
        log(f"  {split}: {counts[split]} {unit}")
    return counts


def build_paired_demo(out_dir, size=64, n_train=200, n_test=24, seed=0, log=print):
    """pix2pix demo set: ``out_dir/{train,test}/<photo>_<k>.png``, each A|B of two
    ``size`` px halves with B = ``ink_remap(A)``. Returns ``{split: count}``."""
    check_size(size)
    start = time.time()
    kind = "pix2pix"
    prepare_out_dir(out_dir, kind, PAIRED_SPLITS)
    cache, files, images = {}, {}, {}
    for split, photos, count in (("train", TRAIN_PHOTOS, n_train), ("test", TEST_PHOTOS, n_test)):
        for stem, crop, record in crops(photos, count, size, split_rng(seed, split), cache):
            name = f"{split}/{stem}.png"
            images[name] = np.hstack([crop, ink_remap(crop)])
            files[name] = record
    write_images(out_dir, images)
    extra = {"size": size, "seed": seed, "direction": "a2b",
             "answer": "B = ink_remap(A) (ppgan_lite.datasets.demo_sets)"}
    return _finish(out_dir, kind, files, PAIRED_SPLITS, extra, start, log, "A|B pairs")


def build_unpaired_demo(out_dir, size=64, n_train=200, n_test=24, seed=0, log=print):
    """CycleGAN demo set: ``out_dir/{trainA,trainB,testA,testB}/<photo>_<k>.png`` of
    ``size`` px; B images are ``blue_tone`` of a crop, testB[i] = blue_tone(testA[i]).
    Returns ``{split: count}``."""
    check_size(size)
    start = time.time()
    kind = "cyclegan"
    prepare_out_dir(out_dir, kind, UNPAIRED_SPLITS)
    cache, files, images = {}, {}, {}
    for split in ("trainA", "trainB"):
        for stem, crop, record in crops(TRAIN_PHOTOS, n_train, size, split_rng(seed, split), cache):
            name = f"{split}/{stem}.png"
            images[name] = blue_tone(crop) if split == "trainB" else crop
            files[name] = record
    for stem, crop, record in crops(TEST_PHOTOS, n_test, size, split_rng(seed, "test"), cache):
        images[f"testA/{stem}.png"], images[f"testB/{stem}.png"] = crop, blue_tone(crop)
        files[f"testA/{stem}.png"] = files[f"testB/{stem}.png"] = record
    write_images(out_dir, images)
    extra = {"size": size, "seed": seed,
             "answer": "B = blue_tone(A) (ppgan_lite.datasets.demo_sets); "
                       "testB/<name> = blue_tone(testA/<name>)"}
    return _finish(out_dir, kind, files, UNPAIRED_SPLITS, extra, start, log, "images")
