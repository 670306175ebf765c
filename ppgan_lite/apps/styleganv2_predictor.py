"""StyleGAN2 generation: PaddleGAN's StyleGANv2Predictor and StyleGANv2MixingPredictor,
offline.

Kept from PaddleGAN (ppgan/apps/styleganv2_predictor.py, styleganv2mixing_predictor.py):
the constructor arguments, ``run(n_row, n_col)`` writing ``sample.png`` (an n_row x
n_col grid) and ``sample_mixing_0.png`` / ``sample_mixing_1.png`` (a blank corner, the
n_col source images along the top, each of n_row target images down the side followed
by its coarse styles mixed with each source's fine ones), the truncation centre (the
mean W of 10 x 1024 z), and the mixing predictor's ``src1/src2/dst.mixing.png``.
What changes:

* nothing is downloaded: ``model_type`` looks for PaddleGAN's file in the user cache
  (``base_predictor.find_weights``); a missing file is one line naming the file, where
  to put it and PaddleGAN's download URL;
* ``weight_path`` may also be a ppgan_lite checkpoint (its ``gen_ema`` and generator
  config); a ``.pdparams``' size, widths and mapping depth are read off its shapes, so
  ``size`` / ``style_dim`` / ``n_mlp`` / ``channel_multiplier`` are only checked;
* ``truncation`` (PaddleGAN fixes 0.7) and ``interpolation.gif``, a walk through the
  latent space; images use the generator's fixed noise maps, so a seed fixes them;
* the (z, truncation) -> image generator runs on onnxruntime when it is installed
  (exported once per weights file into the cache, ``deploy.cache.inference_generator``);
  style mixing needs two latents per image and runs eagerly.
"""
import os

import numpy as np

from ..utils.errors import ConfigError, DataError, WeightsNotFoundError
from .base_predictor import (BasePredictor, build_generator, count_numbered, find_weights,
                             read_net_weights)

APP = "styleganv2"
URL_ROOT = "https://paddlegan.bj.bcebos.com/models/"
# PaddleGAN's released generators (its predictor's model_cfgs)
MODEL_TYPES = {
    "ffhq-config-f": dict(file="stylegan2-ffhq-config-f.pdparams", size=1024, style_dim=512,
                          n_mlp=8, channel_multiplier=2),
    "animeface-512": dict(file="stylegan2-animeface-512.pdparams", size=512, style_dim=512,
                          n_mlp=8, channel_multiplier=2),
}
TRAIN_HINT = "python tools/main.py -c configs/stylegan_v2_256_ffhq.yaml"
BATCH = 4  # images per generator call: a 1024 px batch of 4 needs ~2 GB of activations
GIF_SIDE = 256


class StyleGANv2Predictor(BasePredictor):
    """``run(n_row=3, n_col=5)`` -> {file name: image} of the pictures it wrote.

    output_path: folder for the files (None: write nothing).
    weight_path: PaddleGAN's generator ``.pdparams``, a PaddleGAN or ppgan_lite
      checkpoint (its ``gen_ema``), or None with ``model_type``.
    model_type: 'ffhq-config-f' or 'animeface-512': PaddleGAN's file from the cache.
    seed: seed of the latents (None: different images every run).
    size, style_dim, n_mlp, channel_multiplier: PaddleGAN's arguments; the weights say
      what they are, so a value given is checked against them (None: not checked).
    truncation: pull of W towards its mean, 1 = none (PaddleGAN: 0.7).
    backend: 'auto', 'onnxruntime', 'paddle' or 'dynamic' for the (z, truncation)
      generator (``ppgan_lite.deploy.load_generator``).
    """

    def __init__(self, output_path="output_dir", weight_path=None, model_type=None, seed=None,
                 size=None, style_dim=None, n_mlp=None, channel_multiplier=None,
                 truncation=0.7, backend="auto", profile=False):
        super().__init__(output_path, profile)
        self.truncation = _check_truncation(truncation)
        self.seed = seed
        self.rng = np.random.RandomState(seed)
        with self.stage("load"):
            self._load(weight_path, model_type, backend,
                       dict(size=size, style_dim=style_dim, n_mlp=n_mlp,
                            channel_multiplier=channel_multiplier))

    # ------------------------------------------------------------ weights
    def _load(self, weight_path, model_type, backend, requested):
        from ..deploy.cache import inference_generator
        from ..models.base_model import NetInput
        from ..models.styleganv2_parts import TruncatedGenerator, mean_latent

        if model_type is not None and model_type not in MODEL_TYPES:
            raise ConfigError(f"unknown model_type '{model_type}': use one of "
                              f"{', '.join(MODEL_TYPES)} (or pass weight_path)")
        if weight_path is None and model_type is None:
            raise ConfigError(f"StyleGANv2Predictor needs weight_path (a generator .pdparams "
                              f"or a checkpoint) or model_type ({', '.join(MODEL_TYPES)})")
        published = MODEL_TYPES.get(model_type) or {}
        filename = published.get("file", "stylegan2.pdparams")
        what = (f"PaddleGAN's StyleGAN2 {model_type} generator" if model_type else
                "a StyleGAN2 generator")
        path = find_weights(weight_path, APP, filename, what, TRAIN_HINT, URL_ROOT + filename)
        if os.path.isdir(path):
            raise WeightsNotFoundError(
                f"'{path}' is a folder: StyleGANv2Predictor needs the generator's weights "
                f"(.pdparams or .ckpt.npz), since style mixing runs the net itself")
        params, checkpoint_config, net_name = read_net_weights(path, "gen_ema", takes="noise")
        config = checkpoint_config or _config_from_params(params, path)
        self.weight_source = path
        self.generator = build_generator(config, params, path, net_name)
        _check_requested(self.generator, requested, path)
        self.config = config
        self.mean_latent = mean_latent(self.generator)
        inputs = (NetInput("z", "noise", (self.generator.style_dim,)),
                  NetInput("truncation", "scalar", (1,)))
        # the centre is part of the exported program: its recipe is part of the cache key
        key = {**config, "truncation_centre": "mean W of RandomState(0) x 10240"}
        self.run_generator = inference_generator(
            TruncatedGenerator(self.generator, self.mean_latent), inputs, backend, path, key,
            APP, net_name)

    # ------------------------------------------------------------ generation
    @property
    def style_dim(self):
        return self.generator.style_dim

    def latents(self, num):
        return self.rng.standard_normal((num, self.style_dim)).astype("float32")

    def generate(self, z, truncation=None):
        """Images (N, 3, S, S) in [-1, 1] of latents z (N, style_dim)."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.style_dim:
            raise DataError(f"latents have shape {z.shape}; this generator takes "
                            f"(N, {self.style_dim})")
        t = self.truncation if truncation is None else _check_truncation(truncation)
        out = [self.run_generator(z[i:i + BATCH], np.full((len(z[i:i + BATCH]), 1), t,
                                                          "float32"))
               for i in range(0, len(z), BATCH)]
        return np.concatenate(out)

    def style_mixing(self, n_source, n_target):
        """PaddleGAN's mixing grid, (1 + n_source) x (1 + n_target) images: row 0 a
        blank and the sources; row i the i-th target, then the target's W for the first
        k layers (coarse: pose, shape) and each source's after (fine: colours, texture),
        k drawn per row as PaddleGAN's generator draws it."""
        import paddle

        source, target = self.latents(n_source), self.latents(n_target)
        source_images, target_images = self.generate(source), self.generate(target)
        size = source_images.shape[-1]
        rows = [np.full((1, 3, size, size), -1.0, "float32"), source_images]
        with paddle.no_grad():
            for i in range(n_target):
                inject = int(self.rng.randint(1, self.generator.n_latent))
                mixed = self.generator(
                    [paddle.to_tensor(np.repeat(target[i:i + 1], n_source, 0)),
                     paddle.to_tensor(source)], inject_index=inject,
                    truncation=self.truncation, truncation_latent=self.mean_latent,
                    randomize_noise=False)[0]
                rows += [target_images[i:i + 1], mixed.numpy()]
        return np.concatenate(rows)

    def interpolation(self, points=3, steps=8):
        """Frames (HxWx3 uint8, at most GIF_SIDE px) of a closed walk through ``points``
        latents, ``steps`` frames from each to the next along the great circle (z is
        Gaussian, so its norm stays typical along the way)."""
        if points < 2 or steps < 1:
            raise ConfigError(f"an interpolation needs 2 or more points and 1 or more steps "
                              f"per leg, got {points} and {steps}")
        ends = self.latents(points)
        t = np.arange(steps, dtype="float64") / steps
        path = np.concatenate([_slerp(a, b, t) for a, b in zip(ends, np.roll(ends, -1, 0))])
        return [_shrink(im, GIF_SIDE) for im in _to_uint8(self.generate(path))]

    def run(self, n_row=3, n_col=5, interp_points=3, interp_steps=8):
        """Write sample.png, sample_mixing_0.png, sample_mixing_1.png and (unless
        ``interp_points`` is 0) interpolation.gif; returns {file name: image}."""
        from ..utils.visual import make_grid, save_gif

        for name, value in (("n_row", n_row), ("n_col", n_col)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        self._start_timing()
        written = {}
        with self.stage("sample"):
            written["sample.png"] = make_grid(_to_uint8(self.generate(self.latents(
                n_row * n_col))), nrow=n_col)
        for j in range(2):
            with self.stage("mixing"):
                written[f"sample_mixing_{j}.png"] = make_grid(
                    _to_uint8(self.style_mixing(n_col, n_row)), nrow=n_col + 1)
        for name, image in written.items():
            self.write(name, image)
        if interp_points:
            with self.stage("interpolation"):
                frames = self.interpolation(interp_points, interp_steps)
            if self.output_path is not None:
                with self.stage("write"):
                    save_gif(frames, os.path.join(self.output_path, "interpolation.gif"),
                             duration_ms=80)
            written["interpolation.gif"] = frames
        self._report_timing()
        return written


class StyleGANv2MixingPredictor(StyleGANv2Predictor):
    """PaddleGAN's latent mixing: ``run(latent1, latent2, weights)`` blends two W+
    latents (``.npy`` files or arrays, [n_latent, style_dim]) layer by layer,
    weights[i] x latent1[i] + (1 - weights[i]) x latent2[i], and writes
    ``src1.mixing.png``, ``src2.mixing.png``, ``dst.mixing.png``; returns the three
    images (HxWx3 uint8)."""

    def run(self, latent1, latent2, weights=None):
        import paddle

        n_latent = self.generator.n_latent
        first, second = (_read_latent(x, n_latent, self.style_dim) for x in (latent1, latent2))
        weights = [0.5] * n_latent if weights is None else [float(w) for w in weights]
        if len(weights) != n_latent:
            raise ConfigError(f"{len(weights)} mixing weights for a generator with "
                              f"{n_latent} latent layers: give {n_latent} (one per layer)")
        w = np.asarray(weights, "float32")[:, None]
        mixed = w * first + (1 - w) * second
        self._start_timing()
        with self.stage("generate"), paddle.no_grad():
            images = self.generator([paddle.to_tensor(np.stack([first, second, mixed]))],
                                    input_is_latent=True, randomize_noise=False)[0]
        src1, src2, dst = _to_uint8(images.numpy())
        for name, image in (("src1", src1), ("src2", src2), ("dst", dst)):
            self.write(f"{name}.mixing.png", image)
        self._report_timing()
        return src1, src2, dst


# ---------------------------------------------------------------- helpers
def _check_truncation(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not 0 <= value <= 2:
        raise ConfigError(f"truncation must be a number from 0 to 2 (1: none, PaddleGAN's "
                          f"0.7), got {value!r}")
    return float(value)


def _config_from_params(params, path):
    """A generator config read off a StyleGANv2Generator state dict's shapes."""
    style = params.get("style.1.weight")
    first = params.get("input.input")
    blocks = count_numbered(params, "to_rgbs.")
    if style is None or first is None:
        raise WeightsNotFoundError(f"'{path}' is not a StyleGANv2Generator state dict (no "
                                   f"style.1.weight / input.input): pass PaddleGAN's "
                                   f"stylegan2 .pdparams or a StyleGAN2 checkpoint")
    channels = {4: int(np.shape(first)[1])}
    for i in range(blocks):
        weight = params.get(f"convs.{2 * i}.conv.weight")
        if weight is not None:
            channels[2 ** (i + 3)] = int(np.shape(weight)[1])
    return {"name": "StyleGANv2Generator", "size": 2 ** (blocks + 2),
            "style_dim": int(np.shape(style)[0]), "n_mlp": count_numbered(params, "style."),
            "channels": channels}


def _check_requested(generator, requested, path):
    """PaddleGAN's size / style_dim / n_mlp / channel_multiplier, where given, must be
    what the weights are."""
    from ..models.layers.equalized import stylegan_channels

    actual = {"size": generator.size, "style_dim": generator.style_dim,
              "n_mlp": len(generator.style) - 1}
    for key, value in actual.items():
        want = requested.get(key)
        if want is not None and int(want) != value:
            raise WeightsNotFoundError(
                f"'{path}' holds a generator with {key} {value}, not {want}: drop "
                f"--{key} or pass weights of that {key}")
    multiplier = requested.get("channel_multiplier")
    if multiplier is not None and generator.channels != stylegan_channels(
            generator.size, int(multiplier)):
        raise WeightsNotFoundError(
            f"'{path}' holds a generator whose widths {generator.channels} are not those "
            f"of channel_multiplier {multiplier}: drop --channel_multiplier")


def _read_latent(value, n_latent, style_dim):
    """A W+ latent [n_latent, style_dim] from an .npy path or an array ([1, n, d] and
    a single W [d] are taken too)."""
    where = "latent"
    if isinstance(value, (str, os.PathLike)):
        where = f"latent '{os.fspath(value)}'"
        if not os.path.isfile(value):
            raise DataError(f"{where} does not exist: pass an .npy file of a W+ latent "
                            f"[{n_latent}, {style_dim}]")
        try:
            value = np.load(value, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise DataError(f"{where} is not a readable .npy file ({exc})") from None
    latent = np.asarray(value, dtype="float32")
    if latent.ndim == 3 and latent.shape[0] == 1:
        latent = latent[0]
    if latent.shape == (style_dim,):
        latent = np.tile(latent, (n_latent, 1))
    if latent.shape != (n_latent, style_dim):
        raise DataError(f"{where} has shape {list(latent.shape)}; this generator takes W+ "
                        f"latents [{n_latent}, {style_dim}]")
    return latent


def _slerp(a, b, t):
    """Points a -> b along the great circle through them (scaled by the norms'
    linear blend) at fractions t, [len(t), D]."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = np.clip(np.dot(a / na, b / nb), -1.0, 1.0)
    omega = np.arccos(cos)
    t = t[:, None]
    if omega < 1e-6:
        return (1 - t) * a + t * b
    direction = (np.sin((1 - t) * omega) * a / na + np.sin(t * omega) * b / nb) / np.sin(omega)
    return (direction * ((1 - t) * na + t * nb)).astype("float32")


def _to_uint8(images):
    from ..utils.visual import tensor_to_images

    return tensor_to_images(images)


def _shrink(image, side):
    import cv2

    if image.shape[0] <= side:
        return image
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
