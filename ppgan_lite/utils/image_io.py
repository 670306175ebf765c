"""The one image reader (and writer) of ppgan_lite: data sets and predictors use it.

Why PIL and not ``cv2.imread``: measured on our machine, cv2 decodes a 109 KB PNG
that declares 30000x30000 pixels into ~5 GB without complaint, returns truncated
JPEGs silently and drops 16-bit depth. PIL lets us read the declared size before
decoding, raises on truncation, and knows the EXIF orientation; its pitfalls (a
16-bit gray PNG turns nearly white under a plain ``convert('RGB')``, EXIF rotation
ignored unless applied, transparency composited onto black) are handled here.

Every image comes back as an ``H x W x C`` uint8 array, RGB order for 3 channels.
"""
import io
import os
import threading
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps

from .fileio import atomic_write
from .errors import DataError, ImageReadError

# 64 megapixels (8000x8000) decode to ~192 MB of RGB: larger is more likely a
# decompression bomb than a training image. Callers may raise it.
DEFAULT_MAX_PIXELS = 64_000_000

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".pbm",
                    ".tif", ".tiff", ".webp")

# PIL settings are module globals; we change them only for one header parse or
# one decode, under this lock, and only when they are not what we need.
_PIL_GLOBALS_LOCK = threading.Lock()

_EXIF_ORIENTATION = 0x0112


def read_image(src, channels=3, max_pixels=DEFAULT_MAX_PIXELS):
    """Read ``src`` into an ``H x W x channels`` uint8 array (RGB for 3 channels).

    ``src`` is a path, the encoded bytes of a file, a numpy array (HxW, HxWx1/3/4;
    uint8, uint16, bool or float in [0, 1]) or a PIL image. ``channels`` is 3
    (gray replicated, alpha composited on white), 1 (luma of colour images) or
    None (1 for gray sources, 3 otherwise). Anything unreadable raises
    ``ImageReadError`` with a one-line message naming the source and the reason.
    """
    if channels not in (1, 3, None):
        raise ValueError(f"read_image: channels must be 1, 3 or None, got {channels!r}")
    if isinstance(src, np.ndarray):
        image = _array_to_uint8(src, "<array>")
    elif isinstance(src, Image.Image):
        image = _pil_to_uint8(src, "<PIL image>", max_pixels)
    elif isinstance(src, (bytes, bytearray, memoryview)):
        image = _decode(io.BytesIO(bytes(src)), "<bytes>", max_pixels)
    elif isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if os.path.isdir(path):
            raise ImageReadError(f"cannot read image '{path}': it is a folder, not an "
                                 f"image file")
        if not os.path.isfile(path):
            raise ImageReadError(f"cannot read image '{path}': no such file")
        with open(path, "rb") as f:
            image = _decode(f, path, max_pixels)
    else:
        raise ImageReadError(
            f"cannot read an image from a {type(src).__name__}: pass a path, bytes, "
            f"a numpy array or a PIL image")
    return _to_channels(image, channels)


def _decode(fp, name, max_pixels):
    try:
        im = _open_header(fp)
    except ImageReadError:
        raise
    except Image.UnidentifiedImageError:  # its text is the repr of our file object
        raise ImageReadError(f"cannot read image '{name}': not an image file PIL can "
                             f"read (unknown format, or not an image at all)") from None
    except Exception as e:  # SyntaxError, OSError, ... from a damaged header
        raise ImageReadError(f"cannot read image '{name}': its header is damaged or cut "
                             f"short ({_reason(e)})") from None
    with im:
        return _pil_to_uint8(im, name, max_pixels)


def _open_header(fp):
    """``Image.open`` (header only), without PIL's own bomb check: we check the
    declared size ourselves so the message can say what it was and the limit is ours."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(fp)
    except Image.DecompressionBombError:
        fp.seek(0)
        with _PIL_GLOBALS_LOCK:
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                return Image.open(fp)
            finally:
                Image.MAX_IMAGE_PIXELS = saved


def _pil_to_uint8(im, name, max_pixels):
    width, height = im.size
    if max_pixels and width * height > max_pixels:
        raise ImageReadError(
            f"refusing image '{name}': it declares {width}x{height} pixels "
            f"(> limit {max_pixels}); shrink it or pass a larger max_pixels")
    try:
        _load_strict(im)
        try:
            if im.getexif().get(_EXIF_ORIENTATION, 1) != 1:
                im = ImageOps.exif_transpose(im)
        except Exception:  # malformed EXIF: keep the stored orientation
            pass
        return _pil_pixels(im)
    except ImageReadError:
        raise
    except Exception as e:
        raise ImageReadError(f"cannot read image '{name}': {_reason(e)}") from None


def _load_strict(im):
    """Decode, treating truncation as an error even if some library set PIL's
    LOAD_TRUNCATED_IMAGES (which would fill the missing part with gray)."""
    if not ImageFile.LOAD_TRUNCATED_IMAGES:
        im.load()
        return
    with _PIL_GLOBALS_LOCK:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            im.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = True


def _pil_pixels(im):
    """A decoded PIL image -> HxW (gray), HxWx2 (gray+alpha), HxWx3 or HxWx4 uint8."""
    mode = im.mode
    if "transparency" in im.info and mode in ("L", "RGB", "P"):
        im = im.convert("LA" if mode == "L" else "RGBA")
        mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _high_depth_gray_to_uint8(np.asarray(im))
    if mode in ("1", "L"):
        return np.asarray(im.convert("L"))
    if mode in ("LA", "La", "PA"):
        im = im.convert("LA") if mode != "PA" else im.convert("RGBA")
        return np.asarray(im)
    if mode in ("RGBA", "RGBa"):
        return np.asarray(im.convert("RGBA"))
    return np.asarray(im if mode == "RGB" else im.convert("RGB"))  # P, CMYK, YCbCr, ...


def _high_depth_gray_to_uint8(values):
    """16-bit (or 32-bit int / float) gray -> uint8 by the value range, not by clipping."""
    is_float = values.dtype.kind == "f"
    values = values.astype(np.float64)
    if values.size == 0:
        return values.astype(np.uint8)
    low, high = values.min(), values.max()
    if is_float and low >= 0 and high <= 1.0:
        scaled = values * 255.0  # float images in [0, 1]
    elif low >= 0 and high <= 65535:
        scaled = values / 257.0  # 16-bit: 65535 -> 255 exactly
    else:
        scaled = (values - low) * (255.0 / max(high - low, 1e-12))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _array_to_uint8(array, name):
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ImageReadError(f"cannot read image '{name}': shape {array.shape} is not "
                             f"HxW or HxWxC with C in (1, 3, 4)")
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        return np.rint(array / 257.0).astype(np.uint8)
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ImageReadError(f"cannot read image '{name}': it has NaN or Inf values")
        return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)
    raise ImageReadError(f"cannot read image '{name}': dtype {array.dtype} is not "
                         f"uint8, uint16, bool or float in [0, 1]")


def _to_channels(image, channels):
    """HxW / HxWx2 / HxWx3 / HxWx4 uint8 -> HxWxC uint8 with alpha on white."""
    if image.ndim == 3 and image.shape[2] in (2, 4):
        color, alpha = image[:, :, :-1].astype(np.float32), image[:, :, -1:]
        alpha = alpha.astype(np.float32) / 255.0
        image = np.rint(color * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
        if image.shape[2] == 1:
            image = image[:, :, 0]
    gray = image.ndim == 2
    if channels is None:
        channels = 1 if gray else 3
    if gray:
        image = image[:, :, None]
        return np.ascontiguousarray(np.repeat(image, 3, axis=2) if channels == 3 else image)
    if channels == 3:
        return np.ascontiguousarray(image)
    # ITU-R BT.601 luma, as PIL's convert('L') computes it
    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)[:, :, None]


def _reason(exc):
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def write_image(path, image, quality=95):
    """Write an HxW / HxWx1 / HxWx3 (RGB) / HxWx4 uint8 array atomically.

    The file appears complete or not at all: we write a temporary file in the same
    folder and ``os.replace`` it, so a crash or a reader never sees half an image.
    The format follows the extension. Returns ``path``.
    """
    path = os.fspath(path)
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = _array_to_uint8(array, path)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise DataError(f"cannot write '{path}': shape {array.shape} is not an image")
    fmt = Image.registered_extensions().get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise DataError(f"cannot write '{path}': unknown image extension; use one of "
                        f"{', '.join(IMAGE_EXTENSIONS)}")
    pil = Image.fromarray(array)
    if fmt == "JPEG" and pil.mode == "RGBA":
        pil = Image.fromarray(_to_channels(array, 3))
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "PNG":  # level 1: ~10x faster than PIL's default 6, still lossless
        options["compress_level"] = 1
    atomic_write(path, lambda f: pil.save(f, format=fmt, **options))
    return path


def is_still_image(path):
    """True where ``path`` is one picture PIL recognises (not an animation): OpenCV
    opens such a file as a one-frame video, which is never what was meant."""
    try:
        with open(path, "rb") as f, _open_header(f) as im:
            # PIL identifies MPEG-1 streams too, without reading their frames
            return im.format != "MPEG" and getattr(im, "n_frames", 1) <= 1
    except Exception:  # not an image PIL knows: a video, or nothing readable
        return False


def list_images(folder, recursive=False, extensions=IMAGE_EXTENSIONS):
    """Sorted paths of the image files in ``folder`` (hidden files skipped;
    extensions compared case-insensitively). Sorting is by the path relative to
    ``folder`` so the order, and thus every index, is the same on every machine."""
    folder = os.fspath(folder)
    if os.path.isfile(folder):
        raise DataError(f"'{folder}' is a file, not a folder of images")
    if not os.path.isdir(folder):
        raise DataError(f"directory '{folder}' does not exist")
    extensions = tuple(e.lower() for e in extensions)
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and name.lower().endswith(extensions):
                found.append(os.path.relpath(os.path.join(root, name), folder))
        if not recursive:
            break
    return [os.path.join(folder, rel) for rel in sorted(found)]


def require_images(folder):
    """``list_images(folder)``, and a DataError where the folder holds none (what a
    predictor's folder run needs before it starts)."""
    paths = list_images(folder)
    if not paths:
        raise DataError(f"no images in '{os.fspath(folder)}' (looked for .jpg, .png, .bmp, "
                        f".tif, .webp ...)")
    return paths
