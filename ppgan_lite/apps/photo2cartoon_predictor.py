"""Photo2Cartoon: a portrait photo to a cartoon face, offline.

PaddleGAN's flow and outputs are kept: detect the face, align and crop it, segment
the person, put them on white, run genA2B at 256x256, composite the cartoon on white
and write ``p2c_photo.png`` and ``p2c_cartoon.png``. What changes:

* nothing is downloaded: the generator comes from ``weight_path`` or the user cache
  (``base_predictor.find_weights``), the face models from installed wheels, PaddleGAN's
  faceseg weights (optional: the selfie net ships) from ``seg_weight_path`` or the same
  cache; a missing file is a one-line WeightsNotFoundError that says where to put it;
* any input the shared reader takes (grayscale, RGBA, palette, 16-bit, EXIF-rotated,
  arrays, PIL images); no face, a too-small face or an unreadable file is a
  FaceNotFoundError / ImageReadError instead of PaddleGAN's assert;
* the best face is chosen by confidence and size (``faceutils.best_face``), and the
  detector first searches a small copy (most of the time of a 1024 px photo is
  otherwise spent there) and only falls back to the larger search when that fails;
* the cartoon is composited with the soft person mask (PaddleGAN applies the hard
  FaceSeg mask), and pixels outside the photo (the white padding of the crop) stay
  white whatever the mask says;
* ``output_size``, ``all_faces``, ``output_path=None`` (no files), ``seg`` and
  ``backend`` options, per-stage ``timings``, and ``run_video`` for a video file.
"""
import os
from dataclasses import dataclass

import cv2
import numpy as np

from ..faceutils import align_crop, best_face, composite_on_white, detect_faces, segment
from ..faceutils.detect import CONFIDENT_SCORE
from ..faceutils.segmentation import (faceseg_weights_path, load_faceseg,
                                      require_faceseg_weights)
from ..utils.errors import ConfigError, FaceNotFoundError, WeightsNotFoundError
from .base_predictor import (BasePredictor, build_generator, count_numbered, find_weights,
                             logger, read_net_weights)
from .translation import trained_side, unet_config_from_params

# PaddleGAN's photo2cartoon generator (it builds ResnetUGATITP2CGenerator() with defaults).
DEFAULT_GENERATOR = {"name": "ResnetUGATITP2CGenerator", "ngf": 32, "img_size": 256,
                     "n_blocks": 4, "light": True}
WEIGHTS_FILE = "photo2cartoon_genA2B_weight.pdparams"
# where PaddleGAN publishes it (its predictor downloads it at run time; we only say where)
WEIGHTS_URL = f"https://paddlegan.bj.bcebos.com/models/{WEIGHTS_FILE}"
TRAIN_HINT = "python tools/main.py -c configs/ugatit_photo2cartoon.yaml"
SEG_METHODS = ("auto", "selfie", "faceseg", "grabcut", "none")
# The detector first looks at a copy this large: a portrait's face is found in ~25 ms
# instead of ~150 ms on the 1600 px copy detect_faces uses by default.
FAST_DETECT_SIDE = 512
# With all_faces every detection is a cartoon, so weak ones are dropped: the HOG
# detector scores faces ~0.5-2 and fires at ~0.05-0.1 on the astronaut's suit.
ALL_FACES_MIN_SCORE = 0.3
# PaddleGAN cartoons faces of any size; below ~24 px the detector's landmarks are too
# coarse to align by, and below ~40 px the 256-px crop is an upscale, so the cartoon
# comes out soft: it is made, with a warning
MIN_FACE_SIZE = 24
SOFT_FACE_SIZE = 40
# 10000x10000 decodes to 300 MB of RGB: allowed (the detector and the aligner work on
# bounded copies), larger is refused by the reader before decoding.
MAX_PIXELS = 120_000_000


@dataclass
class CartoonResult:
    """One face: the aligned photo, the person mask and the cartoon (output_size px)."""
    photo: np.ndarray
    mask: np.ndarray
    cartoon: np.ndarray
    face: object = None
    align: object = None


class Photo2CartoonPredictor(BasePredictor):
    """``run(image)`` -> the cartoon of the best face (HxWx3 uint8 RGB), or a list
    of cartoons (best first) with ``all_faces=True``.

    output_path: folder for ``{name}_photo.png`` / ``{name}_cartoon.png`` (``_0``,
      ``_1``, ... with all_faces); None writes nothing.
    weight_path: a PaddleGAN ``photo2cartoon_genA2B_weight.pdparams``, a ppgan_lite
      checkpoint (its genA2B and generator config; a pix2pix one, e.g. of
      configs/pix2pix_photo2cartoon.yaml, gives its U-Net netG), a UnetGenerator
      .pdparams, or an exported model folder; None looks in
      ``cache_dir()/photo2cartoon/``.
    output_size: side of the written and returned images (the generator runs at its
      img_size; the photo is re-cropped at this size, the cartoon resized).
    seg: 'auto' (faceseg where its weights are found, else selfie), 'selfie' (built
      in), 'faceseg' (PaddleGAN's FCN-HRNetW18, needs its weights), 'grabcut', 'none'
      or a callable ``f(rgb_crop, landmarks) -> HxW mask in [0, 1]``; the resolved
      method is ``self.seg``.
    seg_weight_path: PaddleGAN's ``faceseg_FCN-HRNetW18.pdparams`` for 'faceseg' and
      'auto'; None looks in ``cache_dir()/photo2cartoon/``. faceseg's net loads here,
      so a missing or wrong file is a WeightsNotFoundError now, not at the first photo.
    backend: inference backend for the generator and faceseg ('auto', 'paddle',
      'onnxruntime', 'dynamic'), see ``ppgan_lite.deploy.load_generator``.
    generator_config: keys overriding the generator config (defaults: PaddleGAN's; a
      checkpoint's own config; ngf/n_blocks/light read off a .pdparams' shapes).
    min_face_size: faces narrower than this (px in the photo) are not used; faces under
      40 px are cartooned with a warning that the result will be soft.
    """

    def __init__(self, output_path="output", weight_path=None, output_size=256,
                 all_faces=False, seg="auto", backend="auto", generator_config=None,
                 min_face_size=MIN_FACE_SIZE, max_pixels=MAX_PIXELS, profile=False,
                 seg_weight_path=None):
        super().__init__(output_path, profile)
        if isinstance(output_size, bool) or not isinstance(output_size, (int, np.integer)) \
                or not 16 <= output_size <= 4096:
            raise ConfigError(f"output_size={output_size!r}: use an int from 16 to 4096")
        self.output_size = int(output_size)
        self.all_faces = bool(all_faces)
        self.min_face_size = min_face_size
        self.max_pixels = max_pixels
        self.seg, self.seg_options = _resolve_seg(seg, seg_weight_path, backend)
        self.generator, self.img_size = self._load_generator(weight_path, backend,
                                                             generator_config)
        self.results = []

    # ------------------------------------------------------------ API
    def run(self, image, name="p2c"):
        """Cartoon(s) of ``image`` (path, bytes, array or PIL image); files are named
        ``{name}_photo.png`` and ``{name}_cartoon.png``."""
        self._start_timing()
        label = os.fspath(image) if isinstance(image, (str, os.PathLike)) else "the image"
        rgb = self.read(image, self.max_pixels)
        with self.stage("detect"):
            faces = self.detect(rgb, label)
        self.results = []
        for index, face in enumerate(faces):
            if face.width < SOFT_FACE_SIZE:
                logger.warning("the face in %s is only %.0f px wide: its cartoon will be soft "
                               "(faces of %d px and more come out sharp)", label, face.width,
                               SOFT_FACE_SIZE)
            result = self.cartoonize(rgb, face.landmarks)
            result.face = face
            suffix = f"_{index}" if self.all_faces else ""
            self.write(f"{name}_photo{suffix}.png", result.photo)
            self.write(f"{name}_cartoon{suffix}.png", result.cartoon)
            self.results.append(result)
        self._report_timing()
        cartoons = [r.cartoon for r in self.results]
        return cartoons if self.all_faces else cartoons[0]

    def warmup(self):
        """Cartoonize skimage's astronaut once, writing nothing, so the models that load
        on first use (dlib's, the selfie net, the backend's buffers: ~1-2 s) are ready
        before the first real photo."""
        from skimage import data

        output_path, self.output_path = self.output_path, None
        try:
            self.run(data.astronaut())
        finally:
            self.output_path = output_path
        return self

    def detect(self, rgb, label="the image"):
        """The faces to cartoonize: [best] or, with all_faces, all (best first)."""
        if not self.all_faces and max(rgb.shape[:2]) > FAST_DETECT_SIDE:
            try:
                face = best_face(detect_faces(rgb, max_side=FAST_DETECT_SIDE, name=label,
                                              min_face_size=self.min_face_size))
            except FaceNotFoundError:
                face = None
            if face is not None and face.score >= CONFIDENT_SCORE:
                return [face]
            # nothing, or only a weak hit: small faces in a large photo need the larger copy
        if self.all_faces:
            return detect_faces(rgb, min_face_size=self.min_face_size, name=label,
                                min_score=ALL_FACES_MIN_SCORE)
        return [best_face(detect_faces(rgb, min_face_size=self.min_face_size, name=label),
                          label)]

    def cartoonize(self, rgb, landmarks):
        """CartoonResult of the face with 68 ``landmarks`` in the RGB photo ``rgb``."""
        size = self.img_size
        with self.stage("align"):
            crop, info = align_crop(rgb, landmarks, size=size)
            inside = _inside_photo(info, size)
        with self.stage("segment"):
            mask = segment(crop, info.landmarks, method=self.seg, **self.seg_options)
            mask = mask * inside
        with self.stage("generate"):
            on_white = composite_on_white(crop, mask).astype(np.float32)
            x = (on_white / 127.5 - 1.0).transpose(2, 0, 1)[None]
            y = self.generator(np.ascontiguousarray(x))
            y = np.asarray(y[0] if isinstance(y, (tuple, list)) else y)
            cartoon = (y[0].transpose(1, 2, 0) + 1.0) * 127.5
        with self.stage("composite"):
            photo, out_mask, out_info = crop, mask, info
            if self.output_size != size:
                photo, out_info = align_crop(rgb, landmarks, size=self.output_size)
                out_mask = np.clip(_resize(mask, self.output_size), 0.0, 1.0) * _inside_photo(
                    out_info, self.output_size)
                cartoon = _resize(cartoon, self.output_size)
            alpha = np.clip(out_mask, 0.0, 1.0)[:, :, None]
            cartoon = np.clip(cartoon * alpha + 255.0 * (1.0 - alpha) + 0.5, 0, 255
                              ).astype(np.uint8)
        return CartoonResult(photo=photo, mask=out_mask.astype(np.float32), cartoon=cartoon,
                             align=out_info)

    def run_video(self, path, output_file=None, detect_every=10, smoothing=0.5,
                  progress=None):
        """Cartoonize a video frame by frame into an ``output_size`` square .mp4
        (``apps/video.py``); returns the output file, fps, frame count and frames
        without a face."""
        from .video import cartoonize_video

        return cartoonize_video(self, path, output_file, detect_every, smoothing, progress)

    # ------------------------------------------------------------ weights
    def _load_generator(self, weight_path, backend, generator_config):
        """(callable NCHW [-1, 1] -> NCHW, the size it runs at)."""
        from ..deploy import load_generator
        from ..deploy.cache import inference_generator
        from ..models.base_model import NetInput

        path = find_weights(weight_path, "photo2cartoon", WEIGHTS_FILE,
                            "the genA2B weights of photo2cartoon", TRAIN_HINT, WEIGHTS_URL)
        self.weight_source = path
        if os.path.isdir(path):  # exported by tools/export_model.py
            _check_exported_input(path)
            generator = load_generator(path, backend=backend)
            shape = generator.input_shape
            return generator, int(shape[-1]) if shape and shape[-1] else 256
        # a checkpoint's main generator (its model's declaration), or the one net of
        # a .pdparams
        params, checkpoint_config, net_name = read_net_weights(path, "genA2B")
        # a pix2pix U-Net distilled from this app (configs/pix2pix_photo2cartoon.yaml)
        # cartoons the same crops in one pass: its checkpoint says so, a .pdparams by
        # its keys; it has no img_size, so it runs at the size it was trained at
        config = (checkpoint_config or unet_config_from_params(params)
                  or {**DEFAULT_GENERATOR, **_config_from_params(params)})
        config.update(generator_config or {})
        net = build_generator(config, params, path, net_name)
        size = int(config.get("img_size") or trained_side(path, net))
        inputs = (NetInput("image", "image", (3, size, size)),)
        generator = inference_generator(net, inputs, backend, path, config, "photo2cartoon",
                                        net_name)
        return generator, size


# ---------------------------------------------------------------- helpers
def _resolve_seg(seg, seg_weight_path, backend="auto"):
    """(method, its options for ``segment``). 'auto' is PaddleGAN's faceseg where its
    weights are given or cached, else the built-in selfie net; faceseg's net is loaded
    here (faceutils owns its messages) and, like the generator, run by ``backend``."""
    if not callable(seg) and seg not in SEG_METHODS:
        import difflib

        close = difflib.get_close_matches(str(seg), SEG_METHODS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"unknown seg {seg!r}.{hint} Use one of {', '.join(SEG_METHODS)} "
                          f"or a callable")
    if seg_weight_path is not None and seg not in ("auto", "faceseg"):
        raise ConfigError(f"seg_weight_path is for seg 'faceseg' (or 'auto'), not "
                          f"{getattr(seg, '__name__', seg)!r}: drop it or use seg='faceseg'")
    if seg == "auto":
        found = seg_weight_path is not None or faceseg_weights_path() is not None
        seg = "faceseg" if found else "selfie"
    if seg != "faceseg":
        return seg, {}
    path = require_faceseg_weights(seg_weight_path)
    net = load_faceseg(path).net
    return seg, {"weight_path": path, "runner": _faceseg_runner(net, path, backend)}


def _faceseg_runner(net, path, backend):
    """The faceseg net exported once and run by onnxruntime (0.21 against 0.38 s eager
    for a 384-px crop on 2 cores), or None to run it eagerly: for 'dynamic', and for
    'auto' without onnxruntime, since paddle.inference is slower than eager here."""
    from ..deploy import onnxruntime_available
    from ..deploy.cache import inference_generator
    from ..faceutils.faceseg_net import INPUT_SIZE, FaceSegProbability
    from ..models.base_model import NetInput

    if backend == "dynamic" or (backend == "auto" and not onnxruntime_available()):
        return None
    config = {"net": "FaceSegProbability", "img_size": INPUT_SIZE}
    inputs = (NetInput("image", "image", (3, INPUT_SIZE, INPUT_SIZE)),)
    return inference_generator(FaceSegProbability(net), inputs, backend, path, config,
                               "photo2cartoon", "faceseg")


def _check_exported_input(folder):
    """An exported model that does not take RGB photos (DCGAN's noise generator, a
    one-channel net) is refused by its meta.json when it loads, not by an input-shape
    error at the first photo. A folder without meta.json is left to the backend."""
    from ..deploy import read_meta

    meta = read_meta(folder)
    kind, shape = meta.get("input_kind"), list(meta.get("input_shape") or [])
    if kind is None or len(shape) != 4:
        return
    if kind == "image" and shape[1] == 3:
        return
    dims = ", ".join("N" if d is None else str(d) for d in shape)
    takes = "noise" if kind == "noise" else f"{shape[1]}-channel {kind}s"
    source = ".".join(str(meta[k]) for k in ("model", "net") if meta.get(k)) or "a model"
    raise WeightsNotFoundError(
        f"'{folder}' is not a photo2cartoon generator: it is an export of {source} "
        f"({meta.get('generator', 'a generator')}) that takes {takes} ({dims}); "
        f"photo2cartoon needs one that takes RGB photos (N, 3, H, W): pass "
        f"{WEIGHTS_FILE}, a U-GAT-IT checkpoint or its export")


def _config_from_params(params):
    """ngf, n_blocks and light of a P2C generator read off its parameter shapes, so a
    PaddleGAN .pdparams of a smaller or full (non-light) model loads without a config."""
    config = {}
    first = params.get("DownBlock.1.weight")
    if first is not None and np.ndim(first) == 4:
        config["ngf"] = int(np.shape(first)[0])
    blocks = count_numbered(params, "EncodeBlock")
    if blocks:
        config["n_blocks"] = blocks
    fc = params.get("FC.0.weight")
    if fc is not None and np.ndim(fc) == 2:
        in_dim, dim = np.shape(fc)
        config["light"] = bool(in_dim == dim)
        if in_dim != dim:  # full model: in_dim = (img_size / 4)^2 * dim
            config["img_size"] = int(round(np.sqrt(in_dim / dim))) * 4
    return config


def _inside_photo(info, size):
    """HxW in [0, 1]: how much of each crop pixel comes from the photo (0 in the white
    padding), computed from the inverse warp so a large photo costs nothing."""
    height, width = info.source_shape
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    inverse = info.inverse
    sx = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    sy = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    # bilinear sampling against a constant border: weight falls off over one pixel
    coverage = (np.clip(sx + 1, 0, 1) * np.clip(width - sx, 0, 1)
                * np.clip(sy + 1, 0, 1) * np.clip(height - sy, 0, 1))
    return coverage.astype(np.float32)


def _resize(image, size):
    shrink = image.shape[0] > size
    return cv2.resize(image, (size, size),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
