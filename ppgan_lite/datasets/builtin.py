"""Data sets that need no image folder: the LFW faces shipped inside scikit-image
(fully offline) and MNIST / Fashion-MNIST from their idx .gz files.

Both hold their images decoded in memory (small), so they need no LoadImageFromFile;
a config may still give a ``preprocess`` (Transforms on key ``A``), and by default
gets HWC -> CHW and [0, 255] -> [-1, 1].
"""
import gzip
import os
import struct

import cv2
import numpy as np

from ..utils.errors import ConfigError, DataError
from ..utils.registry import DATASETS
from .base_dataset import BaseDataset


def _default_pipeline(random_flip=False):
    pipeline = [{"name": "RandomHorizontalFlip", "prob": 0.5}] if random_flip else []
    pipeline += [{"name": "Transpose"},
                 {"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3}]
    return [{"name": "Transforms", "input_keys": ["A"], "pipeline": pipeline}]


def _check_channels(channels):
    if channels not in (1, 3):
        raise ConfigError(f"channels must be 1 or 3, got {channels!r}")


def _check_size(size):
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ConfigError(f"size must be a positive int, got {size!r}")


@DATASETS.register()
class LFWFacesDataset(BaseDataset):
    """The 100 face crops of ``skimage.data.lfw_subset()`` (gray, 25x25; the other
    100 images of that set are non-faces), upscaled bicubically to ``size`` and
    replicated to ``channels``. Item ``{'A', 'A_path': 'lfw_subset/<i>'}``.
    A tiny, always-available face set for smoke tests and demos."""

    NUM_FACES = 100

    def __init__(self, size=64, channels=3, preprocess=None, random_flip=False):
        super().__init__()
        _check_size(size)
        _check_channels(channels)
        from skimage.data import lfw_subset  # lazily: skimage is slow to import

        faces = lfw_subset()[:self.NUM_FACES].astype(np.float32)  # [0, 1]
        resized = [cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
                   for face in faces]
        gray = np.clip(np.rint(np.stack(resized) * 255.0), 0, 255).astype(np.uint8)
        self.images = np.repeat(gray[..., None], channels, axis=3)
        self.setup_preprocess(preprocess if preprocess is not None
                              else _default_pipeline(random_flip))

    def __len__(self):
        return len(self.images)

    def sample(self, index, rng):
        return {"A": self.images[index], "A_path": f"lfw_subset/{index}"}


_MNIST_KINDS = {"mnist": "MNIST", "fashion": "FashionMNIST",
                "fashion-mnist": "FashionMNIST", "fashion_mnist": "FashionMNIST"}


@DATASETS.register()
class MNISTDataset(BaseDataset):
    """MNIST (``kind: mnist``) or Fashion-MNIST (``kind: fashion``) through
    ``paddle.vision.datasets``, from local idx .gz files only.

    ``image_path``/``label_path`` default to the standard file names in
    ``data/<name>/`` (relative to the working directory), then in paddle's download
    cache. Paddle's own download is never triggered: offline it hangs or fails, so a
    missing file is a DataError that says what to download and where to put it.
    Item ``{'A': channels x size x size in [-1, 1], 'label': int, 'A_path': 'mnist/<i>'}``.
    """

    def __init__(self, mode="train", kind="mnist", image_path=None, label_path=None,
                 size=32, channels=1, preprocess=None):
        super().__init__()
        if mode not in ("train", "test"):
            raise ConfigError(f"mode must be 'train' or 'test', got {mode!r}")
        if kind not in _MNIST_KINDS:
            raise ConfigError(f"kind must be one of {', '.join(_MNIST_KINDS)}, got {kind!r}")
        _check_size(size)
        _check_channels(channels)
        import paddle.vision.datasets as vision_datasets

        source = getattr(vision_datasets, _MNIST_KINDS[kind])
        prefix = "TRAIN" if mode == "train" else "TEST"
        image_url = getattr(source, f"{prefix}_IMAGE_URL")
        label_url = getattr(source, f"{prefix}_LABEL_URL")
        image_path = self._locate(image_path, image_url, source.NAME, "image_path")
        label_path = self._locate(label_path, label_url, source.NAME, "label_path")
        missing = [(p, u) for p, u in ((image_path, image_url), (label_path, label_url))
                   if not os.path.isfile(p)]
        if missing:
            raise DataError(
                f"{source.NAME} {mode} files not found: "
                + "; ".join(f"download {u} to {p}" for p, u in missing)
                + " (or set image_path/label_path). See data/README.md.")
        rows, cols = _check_idx_files(image_path, label_path)
        try:
            parsed = source(image_path=image_path, label_path=label_path, mode=mode,
                            download=False, backend="cv2")
        except (OSError, EOFError, struct.error) as e:
            raise DataError(f"cannot parse '{image_path}' / '{label_path}' ({e}); "
                            f"the files look truncated, download them again") from None
        # paddle keeps one float32 array per image; 4x smaller as one uint8 block
        self.images = np.stack(parsed.images).astype(np.uint8).reshape(-1, rows, cols)
        self.labels = np.concatenate(parsed.labels).astype(np.int64)
        del parsed
        self.name, self.size, self.channels = source.NAME, size, channels
        self.setup_preprocess(preprocess if preprocess is not None else _default_pipeline())

    @staticmethod
    def _locate(path, url, name, arg_name):
        if path is not None:
            return os.fspath(path)
        filename = url.rsplit("/", 1)[-1]
        local = os.path.join("data", name, filename)
        if os.path.isfile(local):
            return local
        from paddle.dataset.common import DATA_HOME

        cached = os.path.join(DATA_HOME, name, filename)
        return cached if os.path.isfile(cached) else local

    def __len__(self):
        return len(self.images)

    def sample(self, index, rng):
        image = self.images[index]
        if image.shape != (self.size, self.size):
            image = cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_CUBIC)
        image = np.repeat(image[:, :, None], self.channels, axis=2)
        return {"A": image, "label": int(self.labels[index]),
                "A_path": f"{self.name}/{index}"}


def _read_header(path, fmt):
    try:
        with gzip.open(path, "rb") as f:
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))
    except (OSError, EOFError, struct.error) as e:
        raise DataError(f"'{path}' is not a gzipped idx file ({e}); download it again") from None


def _check_idx_files(image_path, label_path):
    """Check what paddle's parser assumes, so a bad file is a clear DataError
    rather than a struct.error deep inside paddle."""
    magic, count, rows, cols = _read_header(image_path, ">IIII")
    if magic != 2051:
        raise DataError(f"'{image_path}' is not an idx image file (magic {magic}, want 2051)")
    magic, labels = _read_header(label_path, ">II")
    if magic != 2049:
        raise DataError(f"'{label_path}' is not an idx label file (magic {magic}, want 2049)")
    if count != labels:
        raise DataError(f"'{image_path}' has {count} images but '{label_path}' has "
                        f"{labels} labels; use files from the same split")
    if count == 0 or count % 100:
        raise DataError(f"'{image_path}' has {count} images; paddle's MNIST reader needs "
                        f"a positive multiple of 100")
    return rows, cols
