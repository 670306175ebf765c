"""Translation: a trained pix2pix or CycleGAN generator applied to a user's images.

PaddleGAN has no such app: its pix2pix and CycleGAN weights are only used by
``tools/main.py --evaluate-only`` on a prepared test folder. Here

    TranslationPredictor(weight_path="iter_00010000.ckpt.npz").run("photo.jpg")

takes any image the shared reader takes, at any size: it is resized to the size the
model was trained at (the config's ``model.image_shape``, else PaddleGAN's 256 px
test ``Resize`` with its bicubic interpolation), translated, and resized back to the
input's size. The weights are a ppgan_lite checkpoint (it carries its config), a
PaddleGAN ``.pdparams`` with the config it was trained with, or a folder written by
``tools/export_model.py``. pix2pix uses ``netG``; CycleGAN ``netG_A`` for a2b and
``netG_B`` for b2a.
"""
import os
from dataclasses import dataclass

import numpy as np

from ..utils.errors import ConfigError, PPGanLiteError, WeightsNotFoundError
from .base_predictor import BasePredictor, build_generator, logger

APP = "translation"
# 120 megapixels, as the cartoon app: the net runs on the resized copy
MAX_PIXELS = 120_000_000
# the ResNet generator halves twice and doubles twice (PaddleGAN's n_downsampling 2)
RESNET_MULTIPLE = 4


@dataclass
class TranslatorWeights:
    """A translation generator read from a weights file, before it is built."""
    params: dict
    generator: dict        # its generator config
    net_name: str          # netG, netG_A or netG_B
    model: str             # the model it was trained as
    image_shape: tuple     # [C, H, W] of model.image_shape, or None


def read_translator(path, config_path=None, direction=None):
    """The generator ``direction`` asks for in ``path``: a ppgan_lite checkpoint (its
    own config, unless ``config_path`` is given) or a PaddleGAN .pdparams (needs
    ``config_path``). ``direction`` is in the data's terms: a2b translates the
    images of the A folder into B's domain; None is the config's own direction."""
    from ..utils.checkpoint import load_state, load_weights
    from ..utils.config import load_config, to_plain

    path = os.path.expanduser(os.fspath(path))
    if not os.path.exists(path):
        raise WeightsNotFoundError(f"weights '{path}' do not exist: pass a ppgan_lite "
                                   f"checkpoint (.ckpt.npz), a PaddleGAN .pdparams with -c "
                                   f"CONFIG, or a folder tools/export_model.py wrote")
    if path.endswith(".npz"):
        state = load_state(path)
        nets = state.get("nets") or {}
        config = load_config(config_path) if config_path else state.get("config")
        if not config:
            raise ConfigError(f"checkpoint '{path}' carries no config: pass the one it "
                              f"was trained with (-c CONFIG)")
    else:
        nets = load_weights(path)
        if not config_path:
            raise ConfigError(f"'{path}' is a .pdparams, which does not say which net it "
                              f"holds: pass the config it was trained with, e.g. -c "
                              f"configs/pix2pix_facades.yaml")
        config = load_config(config_path)
    model_cfg = dict(to_plain(config).get("model") or {})
    if not model_cfg.get("name") or not isinstance(model_cfg.get("generator"), dict):
        raise ConfigError(f"the config of '{path}' has no model with a generator: pass "
                          f"the config the weights were trained with")
    net_name = translation_net(model_cfg, direction, path)
    if set(nets) == {""}:  # a .pdparams of one net: the one asked for
        nets = {net_name: nets[""]}
    if net_name not in nets:
        raise WeightsNotFoundError(
            f"'{path}' holds no {net_name} weights (it has "
            f"{', '.join(sorted(nets)) or 'no nets'}): pass the weights of a "
            f"{model_cfg['name']} that include its {net_name} generator")
    shape = model_cfg.get("image_shape")
    return TranslatorWeights(nets[net_name], dict(model_cfg["generator"]), net_name,
                             model_cfg["name"], tuple(shape) if shape else None)


def translation_net(model_cfg, direction, source):
    """netG for pix2pix (one direction: the one it was trained in); for a model with
    two image generators (CycleGAN's netG_A: A -> B, netG_B: B -> A) the one that
    translates ``direction``, where a config's ``direction: b2a`` swapped the
    domains netG_A and netG_B learnt."""
    from .. import register_all
    from ..models.pix2pix_model import parse_direction
    from ..utils.registry import MODELS

    register_all()
    name = model_cfg["name"]
    declared = MODELS.get(name, f"the model of '{source}'").generator_nets
    nets = [net for net, spec in declared.items() if tuple(spec.takes) == ("image",)]
    if not nets:
        raise WeightsNotFoundError(
            f"'{source}' is a {name}, whose generators do not translate images "
            f"({'; '.join(f'{n}: {s.does}' for n, s in declared.items())}): use "
            f"applications/generate.py for generators that take noise")
    trained = parse_direction(model_cfg.get("direction", "a2b"), name)
    wanted = trained if direction is None else parse_direction(direction, "--direction")
    if len(nets) == 1:
        if wanted != trained:
            raise ConfigError(f"'{source}' is a {name} trained {trained}: its one generator "
                              f"{nets[0]} cannot translate {wanted}; drop --direction or "
                              f"train with model.direction: {wanted}")
        return nets[0]
    return nets[0] if wanted == trained else nets[1]


def unet_config_from_params(params):
    """The UnetGenerator config a state dict of one fits (PaddleGAN's key layout:
    ``model.model.0`` the first down conv [ngf, input_nc, 4, 4], ``model.model.3``
    the last up conv [2 ngf, output_nc, 4, 4], one ``model`` more per level; batch
    norm keeps ``_mean``, instance norm has ``scale``), or None for another net."""
    first, last = params.get("model.model.0.weight"), params.get("model.model.3.weight")
    if first is None or last is None or np.ndim(first) != 4 or np.ndim(last) != 4:
        return None
    levels = max(key.split(".").count("model") for key in params) - 1
    norm = ("batch" if any(k.endswith("._mean") for k in params) else
            "instance" if any(k.endswith(".scale") for k in params) else "none")
    return {"name": "UnetGenerator", "input_nc": int(np.shape(first)[1]),
            "output_nc": int(np.shape(last)[1]), "num_downs": int(levels),
            "ngf": int(np.shape(first)[0]), "norm_type": norm}


def trained_side(weights_path, net):
    """Side of the square images ``net`` (no ``img_size`` of its own: a U-Net, a
    ResNet generator) was trained on: a checkpoint's ``model.image_shape``, else
    PaddleGAN's 256 (or 2**num_downs for a deeper U-Net)."""
    from ..models.pix2pix_model import translation_image_shape
    from ..utils.checkpoint import load_state

    shape = None
    if os.fspath(weights_path).endswith(".npz"):
        model_cfg = (load_state(weights_path).get("config") or {}).get("model") or {}
        shape = model_cfg.get("image_shape")
    return int(translation_image_shape(list(shape) if shape else None, net,
                                       "the generator")[1])


def size_multiple(net):
    """What the net's height and width must be multiples of: 2**num_downs for the
    U-Net (it halves down to its bottleneck), 4 for the ResNet generator."""
    from ..models.generators.unet import UnetGenerator

    return 2 ** net.num_downs if isinstance(net, UnetGenerator) else RESNET_MULTIPLE


def working_size(size, image_shape, net, owner):
    """(H, W) the net runs at: ``size`` (an int: square), else the training size."""
    from ..models.pix2pix_model import translation_image_shape

    step = size_multiple(net)
    if size is None:
        _, h, w = translation_image_shape(list(image_shape) if image_shape else None, net,
                                          owner)
    elif isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
        raise ConfigError(f"size={size!r}: use a positive int (the side the net runs at) "
                          f"or None for the training size")
    else:
        h = w = int(size)
    if h % step or w % step:
        near = max(step, int(round(max(h, w) / step)) * step)
        raise ConfigError(f"size {h}x{w}: {type(net).__name__} takes multiples of {step}; "
                          f"use e.g. {near}")
    return int(h), int(w)


class TranslationPredictor(BasePredictor):
    """``run(image)`` -> its translation, an RGB uint8 array of the input's size.

    weight_path: a ppgan_lite checkpoint of a pix2pix or CycleGAN run, a PaddleGAN
      .pdparams (with ``config``), or a folder tools/export_model.py wrote.
    config: the YAML the weights were trained with (needed for a .pdparams; overrides
      a checkpoint's own).
    direction: 'a2b' / 'b2a' in the data's terms (CycleGAN: netG_A / netG_B); None:
      the direction the config trained.
    backend: 'auto', 'paddle', 'onnxruntime' or 'dynamic' (ppgan_lite.deploy); a
      backend other than 'dynamic' runs a copy exported once into the user cache.
    size: side the net runs at (a multiple of what it takes); None: its training size.
    output_path: folder ``run`` writes each translation to (same file name as the
      input); None writes nothing.
    """

    def __init__(self, weight_path, config=None, direction=None, backend="auto", size=None,
                 output_path=None, max_pixels=MAX_PIXELS, profile=False):
        super().__init__(output_path, profile)
        from ..deploy import load_generator, read_meta
        from ..deploy.cache import inference_generator
        from ..models.base_model import NetInput

        self.max_pixels = max_pixels
        self.weight_source = os.path.expanduser(os.fspath(weight_path))
        self.net = None  # the Layer, where the weights build one (not an export)
        if os.path.isdir(self.weight_source):
            if direction is not None:
                raise ConfigError(f"'{weight_path}' is an exported generator, which "
                                  f"translates one way: drop --direction (export the "
                                  f"other net with tools/export_model.py --net)")
            self.generator = load_generator(self.weight_source, backend=backend)
            shape = self.generator.input_shape
            if not shape or len(shape) != 4 or not shape[2] or not shape[3]:
                raise WeightsNotFoundError(f"'{weight_path}' is not an exported image "
                                           f"generator (its input is {shape})")
            if size is not None and (size, size) != tuple(shape[2:]):
                raise ConfigError(f"'{weight_path}' was exported at {shape[2]}x{shape[3]}: "
                                  f"drop size, or export again at {size} px")
            meta = read_meta(self.weight_source)
            self.channels, self.size = int(shape[1]), (int(shape[2]), int(shape[3]))
            self.net_name, self.model_name = meta.get("net") or "generator", meta.get("model")
            return
        weights = read_translator(self.weight_source, config, direction)
        self.net_name, self.model_name = weights.net_name, weights.model
        self.net = build_generator(weights.generator, weights.params, self.weight_source,
                                   weights.net_name)
        self.channels = int(self.net.input_nc)
        self.size = working_size(size, weights.image_shape, self.net, type(self).__name__)
        inputs = (NetInput("image", "image", (self.channels, *self.size)),)
        # the cache key holds the size: an export is a program of one image size
        settings = {**weights.generator, "net": weights.net_name, "size": list(self.size)}
        self.generator = inference_generator(self.net, inputs, backend, self.weight_source,
                                             settings, APP, weights.net_name)

    # ------------------------------------------------------------ API
    def run(self, image, name=None):
        """The translation of ``image`` (path, bytes, array or PIL image); of a list or
        a folder (its images, sorted), a list. A bad file is an ImageReadError naming
        it (``run_folder`` goes on past it instead). With an output_path each result
        is written there under the input's file name (``name`` for arrays; default
        'translated.png')."""
        from ..utils.image_io import list_images

        if isinstance(image, (str, os.PathLike)) and os.path.isdir(image):
            return [self.run(path) for path in list_images(image)]
        if isinstance(image, (list, tuple)):
            return [self.run(item) for item in image]
        return self.run_pair(image, name)[1]

    def run_pair(self, image, name=None):
        """(the input as read, its translation); written as ``run`` writes it."""
        self._start_timing()
        with self.stage("read"):
            rgb = read_source(image, self.channels, self.max_pixels)
        out = self.translate(rgb)
        if name is None:
            name = (os.path.basename(os.fspath(image))
                    if isinstance(image, (str, os.PathLike)) else "translated.png")
        self.write(name, out)
        self._report_timing()
        return rgb, out

    def translate(self, rgb):
        """HxWxC uint8 in, the translation (HxWx3 uint8, same H and W) out."""
        with self.stage("generate"):
            y = self.generator(self.preprocess(rgb))
            y = np.asarray(y[0] if isinstance(y, (tuple, list)) else y)
        return self.postprocess(y, rgb.shape[:2])

    def preprocess(self, rgb):
        """(1, C, H, W) float32 in [-1, 1] at the working size, as the test pipelines
        of PaddleGAN's configs make it (bicubic Resize, then Normalize 127.5)."""
        from ..datasets.transforms import Resize

        image = np.asarray(rgb)
        if image.ndim == 2:
            image = image[:, :, None]
        image = Resize(list(self.size), interpolation="bicubic").apply(image, None)
        x = image.astype(np.float32) / 127.5 - 1.0
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    @staticmethod
    def postprocess(y, shape):
        """The net's (1, C, H, W) output in [-1, 1] as an RGB uint8 image of ``shape``."""
        import cv2

        image = (np.asarray(y, dtype=np.float32)[0].transpose(1, 2, 0) + 1.0) * 127.5
        height, width = int(shape[0]), int(shape[1])
        if image.shape[:2] != (height, width):
            shrink = image.shape[0] > height
            image = cv2.resize(image, (width, height),
                               interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
        image = np.clip(image + 0.5, 0, 255).astype(np.uint8)
        if image.ndim == 2:
            image = image[:, :, None]
        return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[:, :, :3]

    def run_folder(self, folder, progress=None, preview=8):
        """Translate every image of ``folder`` (written to output_path), going on past
        files that cannot be read. ``progress`` wraps the list of paths (e.g. tqdm).
        Returns {'written': [paths], 'failed': [(file, reason)], 'preview': the first
        ``preview`` (input, output) pairs}."""
        from ..utils.image_io import require_images

        paths = require_images(folder)
        written, failed, pairs = [], [], []
        for path in (progress(paths) if progress else paths):
            try:
                rgb, out = self.run_pair(path)
            except PPGanLiteError as exc:
                failed.append((os.path.basename(path), str(exc)))
                continue
            if self.output_path is not None:
                written.append(os.path.join(self.output_path, os.path.basename(path)))
            if len(pairs) < preview:
                pairs.append((rgb, out))
        return {"paths": paths, "written": written, "failed": failed, "preview": pairs}

    def run_video(self, path, output_file=None, progress=None):
        """Translate a video frame by frame into an .mp4 of its size (default
        ``output_path/<name>_translated.mp4``); returns the file, fps and frames."""
        return translate_video(self, path, output_file, progress)


# ---------------------------------------------------------------- helpers
def read_source(image, channels, max_pixels):
    from ..utils.image_io import read_image

    return read_image(image, channels=3 if channels == 3 else 1, max_pixels=max_pixels)


def side_by_side(pairs, height=256):
    """One picture of the (input, output) pairs, a row each, ``height`` px high."""
    import cv2

    rows = []
    for pair in pairs:
        row = []
        for image in pair:
            image = np.asarray(image)
            if image.ndim == 2 or image.shape[2] == 1:
                image = np.repeat(image.reshape(image.shape[0], image.shape[1], 1), 3, axis=2)
            width = max(1, int(round(image.shape[1] * height / image.shape[0])))
            row.append(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
        rows.append(np.hstack(row))
    widest = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, widest - r.shape[1]), (0, 0)), constant_values=255)
            for r in rows]
    return np.vstack(rows)


def translate_video(predictor, path, output_file=None, progress=None):
    """Each frame of the video ``path`` translated, written to an mp4 of its size
    under a temporary name and renamed when complete (a stopped run leaves none)."""
    from .video import map_video_frames, video_output_file

    output_file = video_output_file(predictor, path, output_file, "translated")
    fps, frames = map_video_frames(path, output_file, predictor.translate, progress)
    logger.info("%d frames translated into %s", frames, output_file)
    return {"output": output_file, "fps": fps, "frames": frames}
