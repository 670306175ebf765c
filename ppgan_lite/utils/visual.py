"""Pictures a person can look at: image grids, loss curves, progress GIFs."""
import math
import os

import numpy as np

from .image_io import write_image


def tensor_to_images(tensor, min_max=(-1.0, 1.0)):
    """NCHW tensor/array in ``min_max`` -> list of HxWxC uint8 (C is 1 or 3)."""
    arr = tensor.numpy() if hasattr(tensor, "numpy") else np.asarray(tensor)
    if arr.ndim == 3:
        arr = arr[None]
    lo, hi = min_max
    arr = (np.clip(arr.astype(np.float32), lo, hi) - lo) / (hi - lo)
    arr = np.round(arr * 255).astype(np.uint8).transpose(0, 2, 3, 1)
    if arr.shape[-1] not in (1, 3):
        arr = arr[..., :3]
    return list(arr)


def make_grid(images, nrow=None, padding=2, pad_value=255):
    """Tile HxWxC uint8 images (all the same size) into one RGB image."""
    images = [np.repeat(im, 3, axis=2) if im.shape[2] == 1 else im for im in images]
    n = len(images)
    nrow = nrow or int(math.ceil(math.sqrt(n)))
    ncol = int(math.ceil(n / nrow))
    h, w = images[0].shape[:2]
    grid = np.full((ncol * (h + padding) + padding, nrow * (w + padding) + padding, 3),
                   pad_value, dtype=np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        grid[y:y + h, x:x + w] = im
    return grid


def save_grid(tensor, path, nrow=None, min_max=(-1.0, 1.0)):
    grid = make_grid(tensor_to_images(tensor, min_max), nrow=nrow)
    write_image(path, grid)
    return grid


def side_by_side(visuals, path, min_max=(-1.0, 1.0), max_rows=4):
    """One row per sample, one column per visual item (real | fake | cycle | ...)."""
    columns = [tensor_to_images(v, min_max)[:max_rows] for v in visuals.values()
               if getattr(v, "ndim", 0) in (3, 4)]
    if not columns:
        return None
    h, w = columns[0][0].shape[:2]
    rows = []
    for i in range(min(len(c) for c in columns)):
        for col in columns:
            im = col[i]
            if im.shape[:2] != (h, w):
                import cv2

                im = cv2.resize(im, (w, h), interpolation=cv2.INTER_NEAREST)
                im = im[..., None] if im.ndim == 2 else im
            rows.append(im)
    grid = make_grid(rows, nrow=len(columns))
    write_image(path, grid)
    return grid


def plot_curves(records, path, keys=None, x_key="iter", title="training losses"):
    """Line plot of ``keys`` (default: every loss) against ``x_key`` from JSONL records."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [r for r in records if x_key in r]
    if not records:
        return None
    if keys is None:
        keys = sorted({k for r in records for k in r
                       if k.startswith(("loss", "D_", "G_")) or "loss" in k})
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for key in keys:
        pts = [(r[x_key], r[key]) for r in records
               if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, label=key, linewidth=1.2)
    ax.set_xlabel(x_key)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if keys:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp.png"
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def save_gif(frames, path, duration_ms=300):
    """Frames (HxWx3 uint8) to an animated GIF, looping."""
    from PIL import Image

    if not frames:
        return None
    images = [Image.fromarray(f) for f in frames]
    tmp = path + ".tmp.gif"
    images[0].save(tmp, save_all=True, append_images=images[1:], duration=duration_ms,
                   loop=0)
    os.replace(tmp, path)
    return path
