"""Config-driven preprocessing in PaddleGAN's YAML syntax: the PREPROCESS steps.

A data set's ``preprocess`` is a list of steps (``LoadImageFromFile``,
``SplitPairedImage``, ``Transforms``) that each take and return the sample dict;
``Transforms`` runs a ``pipeline`` of TRANSFORMS (transforms.py) on the images
named by ``input_keys``.

Every random choice is drawn from the ``rng`` (a ``numpy.random.Generator``)
passed in at call time, never from global state as in PaddleGAN, so a sample's
augmentation is a function of ``(seed, epoch, index)`` only: the same with any
worker count, order or resume point.
"""
import numpy as np

from ..utils.errors import ConfigError, DataError, ImageReadError
from ..utils.image_io import DEFAULT_MAX_PIXELS, read_image
from ..utils.registry import PREPROCESS, TRANSFORMS, build
from . import transforms  # noqa: F401  (registers the TRANSFORMS a pipeline names)


def build_step(cfg, registry, where):
    """``build`` that turns every construction problem into a ConfigError naming ``where``."""
    try:
        return build(cfg, registry, where)
    except ConfigError as e:
        if where in str(e):
            raise
        raise ConfigError(f"{where}: {e}") from None
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: cannot build {cfg.get('name')}: {e}") from None


class Compose:
    """Run preprocess steps in order on a sample dict."""

    def __init__(self, steps):
        self.steps = list(steps)

    def __call__(self, datas, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        for step in self.steps:
            datas = step(datas, rng)
        return datas

    def __iter__(self):
        return iter(self.steps)


def build_preprocess(cfg, where="preprocess"):
    """A list of step configs (or one) -> ``Compose``; None -> None."""
    if cfg is None:
        return None
    if isinstance(cfg, dict):
        cfg = [cfg]
    if not isinstance(cfg, (list, tuple)):
        raise ConfigError(f"{where} must be a list of steps, got {type(cfg).__name__}")
    return Compose(build_step(c, PREPROCESS, f"{where}[{i}]") for i, c in enumerate(cfg))


def _require_key(datas, key, owner):
    if key not in datas:
        raise ConfigError(f"{owner} needs '{key}' in the sample, which has "
                          f"{', '.join(sorted(datas))}; set key to one of those")


@PREPROCESS.register()
class LoadImageFromFile:
    """Read ``datas[key + '_path']`` into ``datas[key]`` (HxWxC uint8) via image_io.

    PaddleGAN's ``flag`` is cv2's: 0 reads gray (1 channel); -1 and 1 read colour
    (3 channels; a gray file is replicated, so one stray gray image cannot break a
    colour batch). ``channels`` overrides ``flag``. ``to_rgb: false`` gives BGR.
    ``backend`` is accepted for PaddleGAN configs and ignored: image_io reads all.
    """

    def __init__(self, key="image", flag=-1, to_rgb=True, channels=None,
                 max_pixels=DEFAULT_MAX_PIXELS, save_original_img=False, backend=None):
        if channels is None:
            channels = 1 if flag == 0 else 3
        if channels not in (1, 3):
            raise ConfigError(f"LoadImageFromFile.channels must be 1 or 3, got {channels!r}")
        self.key = key
        self.channels = channels
        self.to_rgb = to_rgb
        self.max_pixels = max_pixels
        self.save_original_img = save_original_img

    def __call__(self, datas, rng=None):
        path_key = f"{self.key}_path"
        _require_key(datas, path_key, f"LoadImageFromFile(key={self.key!r})")
        path = str(datas[path_key])
        try:
            image = read_image(path, channels=self.channels, max_pixels=self.max_pixels)
        except ImageReadError as e:
            e.path = path  # lets the data set skip this file and say which one
            raise
        if not self.to_rgb and image.shape[2] == 3:
            image = np.ascontiguousarray(image[:, :, ::-1])
        datas[self.key] = image
        if self.save_original_img:
            datas[f"ori_{self.key}"] = image.copy()
        return datas


@PREPROCESS.register()
class SplitPairedImage:
    """Cut ``datas[key]``, an A|B side-by-side image, into ``paired_keys`` (A: the
    left half, B: the right), each with the pair's path as ``<A>_path``/``<B>_path``.

    As PaddleGAN (preprocess/transforms.py:85-105), the halves are ``w // 2`` wide;
    for an odd width PaddleGAN's B is one column wider than A, which no paired crop
    and no pixel loss between A-sized output and B can take, so here the last column
    is dropped instead. Also unlike PaddleGAN the whole image ``datas[key]`` is
    dropped from the sample: kept, it would be batched as a third full-size image,
    and pairs of differing sizes could not be batched at all, resized halves or not.
    """

    def __init__(self, key="pair", paired_keys=("A", "B")):
        if (not isinstance(paired_keys, (list, tuple)) or len(paired_keys) != 2
                or not all(isinstance(k, str) for k in paired_keys)
                or paired_keys[0] == paired_keys[1]):
            raise ConfigError(f"SplitPairedImage.paired_keys must be two different names, "
                              f"e.g. [A, B], got {paired_keys!r}")
        self.key = key
        self.paired_keys = tuple(paired_keys)

    def __call__(self, datas, rng=None):
        _require_key(datas, self.key, f"SplitPairedImage(key={self.key!r})")
        image = datas.pop(self.key)
        if image.ndim not in (2, 3) or image.shape[1] < 2:
            raise DataError(f"SplitPairedImage: '{datas.get(self.key + '_path', self.key)}' "
                            f"of shape {image.shape} is not an A|B side-by-side HxWxC image; "
                            f"put SplitPairedImage right after LoadImageFromFile")
        half = image.shape[1] // 2
        a, b = self.paired_keys
        datas[a], datas[b] = image[:, :half], image[:, half:2 * half]
        path = datas.get(f"{self.key}_path")
        if path is not None:
            datas[f"{a}_path"] = datas[f"{b}_path"] = path
        return datas


@PREPROCESS.register(aliases=("Transfroms",))  # the spelling of PaddleGAN's dcgan_mnist.yaml
class Transforms:
    """Run ``pipeline`` on the images ``input_keys`` (results to ``output_keys``).

    ``paired``: True applies each random choice to all keys alike, False draws per
    key; None lets the data set decide (unpaired data sets: False, others: True).
    """

    def __init__(self, pipeline, input_keys, output_keys=None, paired=None):
        if not isinstance(input_keys, (list, tuple)) or not input_keys:
            raise ConfigError(f"Transforms.input_keys must be a non-empty list, got {input_keys!r}")
        if output_keys is not None and len(output_keys) != len(input_keys):
            raise ConfigError(f"Transforms.output_keys {output_keys} must match input_keys "
                              f"{input_keys} in length")
        if not isinstance(pipeline, (list, tuple)):
            raise ConfigError("Transforms.pipeline must be a list of transforms")
        self.input_keys = list(input_keys)
        self.output_keys = list(output_keys or input_keys)
        self.paired = paired
        self.transforms = [build_step(c, TRANSFORMS, f"pipeline[{i}]")
                           for i, c in enumerate(pipeline)]

    def __call__(self, datas, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        missing = [k for k in self.input_keys if k not in datas]
        if missing:
            raise ConfigError(
                f"Transforms.input_keys names {missing}, which the sample does not have "
                f"(it has {', '.join(sorted(datas))}); add a LoadImageFromFile step for it")
        images = [datas[k] for k in self.input_keys]
        if self.paired is False:
            images = [self._run([image], rng)[0] for image in images]
        else:
            images = self._run(images, rng)
        for key, image in zip(self.output_keys, images):
            datas[key] = image
        return datas

    def _run(self, images, rng):
        for transform in self.transforms:
            images = transform(images, rng)
        return images
