"""Helpers shared by the data set tests (generated images, never stored ones)."""
import os

import numpy as np

from ppgan_lite.utils.image_io import write_image


def make_images(folder, count, size=(40, 48), ext="png", seed=0, gray=False):
    """``count`` random images in ``folder`` named 000.ext, 001.ext, ...; returns paths."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = tuple(size) if gray else tuple(size) + (3,)
    paths = []
    for i in range(count):
        path = os.path.join(str(folder), f"{i:03d}.{ext}")
        write_image(path, rng.integers(0, 256, shape, dtype=np.uint8))
        paths.append(path)
    return paths


def truncate_file(path, keep=0.5):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:int(len(data) * keep)])
