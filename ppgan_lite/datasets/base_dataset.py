"""What every ppgan_lite data set shares: per-sample randomness, skipping bad files.

A data set is indexed by ``index`` or by ``(epoch, index)`` (what the loader's
sampler yields, so worker processes need no shared state). Every random choice of
a sample, the ones the data set makes and the ones its transforms make, comes from
``np.random.default_rng([seed, epoch, index])``: a sample's augmentation does not
depend on the worker, the order or the point a run was resumed from.

Unreadable files are found twice. When a folder is scanned (``scan_folder``) every
file gets a cheap check (probe.py: its header, and for PNG and JPEG whether the
file ends as it should, ~25 us a file) and the ones that fail are left out, with
one warning line per folder that counts them. A file that passes the check and
still fails to decode later is skipped with one warning naming it, and the sample
is replaced by another one chosen from the same seed, so a training run does not
stop for one bad file. Both kinds are recorded in ``skipped``, which is per
process: with ``num_workers > 0`` the workers log the later warnings.
"""
import logging
import math
import os

import numpy as np
import paddle

from ..utils.errors import ConfigError, DataError, ImageReadError
from ..utils.image_io import IMAGE_EXTENSIONS, list_images, read_image
from .preprocess import Transforms, build_preprocess
from .probe import unreadable_reason

logger = logging.getLogger(__name__)

DATA_HINT = ("See data/README.md for how to get each data set; python tools/prepare_data.py "
             "--demo (photo2cartoon), --pix2pix-demo or --cyclegan-demo builds an offline one.")

# Replacements tried for one sample before giving up: a data set where 16 random
# picks in a row are unreadable is broken, not unlucky.
MAX_REPLACEMENTS = 16


def default_preprocess(keys):
    """Load each key, HWC -> CHW, scale [0, 255] -> [-1, 1]: what a config gets
    when it names no preprocess."""
    steps = [{"name": "LoadImageFromFile", "key": k} for k in keys]
    return steps + [to_network_input(keys)]


def default_paired_preprocess(key="pair", paired_keys=("A", "B")):
    """Load the A|B image, split it, then as ``default_preprocess``."""
    return [{"name": "LoadImageFromFile", "key": key},
            {"name": "SplitPairedImage", "key": key, "paired_keys": list(paired_keys)},
            to_network_input(paired_keys)]


def to_network_input(keys):
    """The ``Transforms`` step that makes HWC uint8 images CHW float in [-1, 1]."""
    return {"name": "Transforms", "input_keys": list(keys), "pipeline": [
        {"name": "Transpose"},
        {"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3}]}


def parse_max_size(max_size):
    """PaddleGAN writes ``max_size: inf`` (a string in YAML)."""
    if max_size is None or (isinstance(max_size, str) and max_size.lower() in ("inf", ".inf")):
        return math.inf
    try:
        value = float(max_size)
    except (TypeError, ValueError):
        raise ConfigError(f"max_size must be a positive number or inf, got {max_size!r}") from None
    if value <= 0:
        raise ConfigError(f"max_size must be a positive number or inf, got {max_size!r}")
    return value


def scan_image_folder(folder, arg_name, recursive=True, max_size=math.inf):
    """Sorted image paths of ``folder``; DataError if it is missing or has none."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise DataError(f"{arg_name}: directory '{folder}' does not exist. {DATA_HINT}")
    paths = list_images(folder, recursive=recursive)
    if not paths:
        raise DataError(f"{arg_name}: directory '{folder}' has no image files "
                        f"({', '.join(IMAGE_EXTENSIONS)}). {DATA_HINT}")
    if max_size < len(paths):
        paths = paths[:int(max_size)]
    return paths


class BaseDataset(paddle.io.Dataset):
    """Subclasses set ``self.preprocess`` (via ``setup_preprocess``) and implement
    ``__len__`` and ``sample(index, rng) -> dict`` (paths or arrays, before
    preprocessing)."""

    paired_transforms = True  # unpaired data sets set False: A and B draw apart

    def __init__(self):
        super().__init__()
        self.seed = 0  # the loader sets the run's seed
        self.epoch = 0  # used when indexed by a plain int
        self.skipped = []
        self._skipped_set = set()
        self.preprocess = None

    def setup_preprocess(self, preprocess, default_keys=None):
        if preprocess is None and default_keys:
            preprocess = default_preprocess(default_keys)
        self.preprocess = build_preprocess(preprocess, "preprocess")
        for step in (self.preprocess or []):
            if isinstance(step, Transforms) and step.paired is None:
                step.paired = self.paired_transforms

    def sample(self, index, rng):
        raise NotImplementedError

    def rng_for(self, epoch, index, attempt=0):
        key = [int(self.seed), int(epoch), int(index)] + ([attempt] if attempt else [])
        return np.random.default_rng(key)

    def __getitem__(self, key):
        epoch, index = key if isinstance(key, (tuple, list)) else (self.epoch, key)
        size = len(self)
        index = int(index)
        if not -size <= index < size:
            raise IndexError(f"index {index} out of range for {size} samples")
        index %= size
        candidate, last_error = index, None
        for attempt in range(MAX_REPLACEMENTS):
            rng = self.rng_for(epoch, index, attempt)
            if attempt:  # the replacement is drawn from the sample's own stream
                candidate = int(rng.integers(size))
            try:
                return self.load(candidate, rng)
            except ImageReadError as e:
                last_error = e
                self.record_skip(getattr(e, "path", None), e)
        raise DataError(f"{MAX_REPLACEMENTS} samples in a row could not be read "
                        f"(last: {last_error}); check the data set")

    def load(self, index, rng):
        datas = self.sample(index, rng)
        if self.preprocess is not None:
            datas = self.preprocess(datas, rng)
        return datas

    def record_skip(self, path, error):
        path = path or str(error)
        if path not in self._skipped_set:
            self._skipped_set.add(path)
            self.skipped.append(path)
            logger.warning("%s; skipping it", error)

    def scan_folder(self, folder, arg_name, max_size=math.inf, recursive=True):
        """The sorted image paths of ``folder`` that pass the cheap readability check.

        The others are recorded in ``skipped`` and counted in one warning; none
        readable (or none at all, or no folder) is a DataError naming ``arg_name``.
        """
        paths = scan_image_folder(folder, arg_name, recursive=recursive, max_size=max_size)
        return self.keep_readable(paths, folder, arg_name)

    def keep_readable(self, paths, folder, arg_name):
        """``paths`` without the files ``probe.unreadable_reason`` finds unreadable;
        the first one left is decoded in full, as a last check."""
        kept, bad = [], []
        for path in paths:
            reason = unreadable_reason(path)
            if reason is None:
                kept.append(path)
            else:
                bad.append((path, reason))
                if path not in self._skipped_set:
                    self._skipped_set.add(path)
                    self.skipped.append(path)
        if not bad:
            self.check_readable(kept, folder, arg_name)
            return kept
        first = f"{os.path.relpath(bad[0][0], folder)}: {bad[0][1]}"
        if not kept:
            raise DataError(f"{arg_name}: none of the {len(paths)} image files in '{folder}' "
                            f"could be read (first: {first}). {DATA_HINT}")
        logger.warning("%s: %d of %d files cannot be read (first: %s); they are left out",
                       arg_name, len(bad), len(paths), first)
        for path, reason in bad[1:]:
            logger.debug("%s: left out %s: %s", arg_name, path, reason)
        self.check_readable(kept, folder, arg_name)
        return kept

    def check_readable(self, paths, folder, arg_name):
        """Fail at build time when no file of ``paths`` decodes; reads until the
        first good one, so a healthy folder costs one decode. (For lists that cannot
        lose entries, e.g. paths with parallel labels; ``scan_folder`` leaves the
        unreadable ones out.)"""
        last_error = None
        for path in paths:
            try:
                read_image(path)
                return
            except ImageReadError as e:
                last_error = e
                self.record_skip(path, e)
        raise DataError(f"{arg_name}: none of the {len(paths)} image files in '{folder}' "
                        f"could be read (last: {last_error}). {DATA_HINT}")
