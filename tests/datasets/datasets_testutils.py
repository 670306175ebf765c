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


def garble_middle(path, start=60, end_margin=20):
    """Scramble the bytes between a file's header and its end marker: it still looks
    whole to a header/trailer check, and fails when decoded."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    for i in range(start, len(data) - end_margin):
        data[i] ^= 0x5A
    with open(path, "wb") as f:
        f.write(bytes(data))


def make_pairs(folder, count, height=16, half=16, seed=0, odd_column=False):
    """A|B files whose B is 255 - A, pixel for pixel: any misalignment of the two
    halves shows as B != -A after normalising. Returns (paths, A halves)."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths, halves = [], []
    for i in range(count):
        a = rng.integers(0, 256, (height, half, 3), dtype=np.uint8)
        parts = [a, 255 - a] + ([np.zeros((height, 1, 3), np.uint8)] if odd_column else [])
        path = os.path.join(str(folder), f"{i:03d}.png")
        write_image(path, np.hstack(parts))
        paths.append(path)
        halves.append(a)
    return paths, halves
