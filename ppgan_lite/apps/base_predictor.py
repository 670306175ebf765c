"""What every ppgan_lite predictor shares: reading inputs, writing outputs, timing
stages, and finding and loading a generator's weights.

PaddleGAN's predictors download their weights at run time next to the installed
package (so they fail offline and write into site-packages) and always write files.
Ours read weights from a user cache or a path the user gives, say in one line what
is missing and how to get it, and write nothing when ``output_path`` is None.
"""
import contextlib
import logging
import os
import re
import time

# weights, exported generators and ONNX conversions share one user cache,
# $PPGAN_LITE_CACHE or ~/.cache/ppgan_lite (never the installed package)
from ..utils.cache import CACHE_ENV, cache_root as cache_dir
from ..utils.errors import ImageReadError, WeightsNotFoundError
from ..utils.fileio import make_dirs
from ..utils.image_io import is_still_image, read_image, write_image

logger = logging.getLogger("ppgan_lite.apps")


def format_timings(timings):
    """'detect 0.041 s | align 0.002 s | ...' in the order the stages ran."""
    return " | ".join(f"{name} {seconds:.3f} s" for name, seconds in timings.items())


class BasePredictor:
    """Outputs, timings and weights for a predictor; subclasses implement ``run``.

    output_path: folder for the files ``run`` writes; None writes nothing.
    profile: print the seconds of each stage after every run (they are always in
      ``self.timings``).
    """

    def __init__(self, output_path="output", profile=False):
        self.output_path = None if output_path is None else os.fspath(output_path)
        self.profile = profile
        self.timings = {}

    def run(self, *args, **kwargs):
        raise NotImplementedError

    # ------------------------------------------------------------ timing
    @contextlib.contextmanager
    def stage(self, name):
        """Add the time spent in the ``with`` block to ``self.timings[name]``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    def _start_timing(self):
        self.timings = {}

    def _report_timing(self):
        if self.profile:
            print(f"[{type(self).__name__}] {format_timings(self.timings)}", flush=True)

    # ------------------------------------------------------------ I/O
    def read(self, src, max_pixels):
        """``src`` (path, bytes, array or PIL image) as HxWx3 uint8 RGB; ImageReadError
        names the file and the reason."""
        with self.stage("read"):
            return read_image(src, channels=3, max_pixels=max_pixels)

    def write(self, filename, image):
        """Write ``image`` as ``output_path/filename`` (atomically); the path, or None
        when the predictor writes nothing."""
        if self.output_path is None:
            return None
        with self.stage("write"):
            make_dirs(self.output_path, "output_path")  # a file there is one line
            return write_image(os.path.join(self.output_path, filename), image)


# ---------------------------------------------------------------- video
# What a video reader says to a photo; the predictors' run() and the CLIs'
# --input_image take one.
PHOTO_HINT = "run() in Python, --input_image on the command line"


def open_video(path):
    """An opened ``cv2.VideoCapture`` of the video file ``path``. A missing file, a
    folder, a still image (OpenCV would read it as a one-frame video) or a file OpenCV
    cannot decode is a one-line ImageReadError."""
    import cv2

    path = os.fspath(path)
    if os.path.isdir(path):
        raise ImageReadError(f"cannot read video '{path}': it is a folder, not a video file")
    if not os.path.isfile(path):
        raise ImageReadError(f"cannot read video '{path}': no such file")
    if is_still_image(path):
        raise ImageReadError(f"cannot read video '{path}': it is a still image, not a "
                             f"video: pass it as a photo ({PHOTO_HINT})")
    # FFmpeg would print its own complaint about a broken file beside ours. OpenCV reads
    # this when it first opens a video in the process (a CLI: here); a user's value stays
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    capture = cv2.VideoCapture(path)
    # OpenCV "opens" any file FFmpeg probes; only a decoded frame tells a video
    if not (capture.isOpened() and capture.read()[0]):
        capture.release()
        raise ImageReadError(f"cannot read video '{path}': not a video OpenCV can decode "
                             f"(a photo goes to {PHOTO_HINT})")
    capture.release()  # opened again, so that reading starts at the first frame
    return cv2.VideoCapture(path)


# ---------------------------------------------------------------- weights
def find_weights(weight_path, app, filename, what, how_to_get, url=None):
    """The weights path to use: ``weight_path`` if given, else ``cache_dir()/app/filename``.

    Raises WeightsNotFoundError naming the file, where it was looked for, where it is
    published (``url``: the user downloads it, we never do) and how to train one.
    """
    if weight_path is not None:
        weight_path = os.path.expanduser(os.fspath(weight_path))
        if not os.path.exists(weight_path):
            raise WeightsNotFoundError(
                f"weights '{weight_path}' do not exist: pass {what} (a PaddleGAN "
                f".pdparams, a ppgan_lite .ckpt.npz or an exported model folder)")
        return weight_path
    cached = os.path.join(cache_dir(), app, filename)
    if not os.path.exists(cached):
        published = f"download it from {url} and " if url else ""
        raise WeightsNotFoundError(
            f"{app} needs '{filename}' ({what}): {published}put it at {cached} (or set "
            f"${CACHE_ENV}, or pass weight_path / --weight_path); to train one: {how_to_get}")
    return cached


def read_net_weights(path, net_name, takes="image"):
    """(params, generator config or None, net name) of a generator in a weights file.

    A ppgan_lite checkpoint (.npz) gives its model's main generator (the model's
    ``generator_nets`` declaration, which must take ``takes``; ``net_name`` when the
    checkpoint names no model) and the generator config it was trained with; a
    PaddleGAN .pdparams holds one net's params directly (or several nets by name,
    ``net_name`` among them).
    """
    from .. import register_all
    from ..utils.checkpoint import load_state, load_weights
    from ..utils.registry import MODELS

    if path.endswith(".npz"):
        state = load_state(path)
        nets = state.get("nets") or {}
        model_cfg = (state.get("config") or {}).get("model") or {}
        if model_cfg.get("name"):
            register_all()
            declared = MODELS.get(model_cfg["name"], f"checkpoint '{path}'").generator_nets
            net_name, main = next(iter(declared.items()), (net_name, None))
            if main is not None and takes not in main.takes:
                raise WeightsNotFoundError(
                    f"checkpoint '{path}' is a {model_cfg['name']}, whose generator "
                    f"{net_name} takes {' + '.join(main.takes)} ({main.does}); this needs a "
                    f"generator that takes {takes}s")
        if net_name not in nets:
            raise WeightsNotFoundError(
                f"checkpoint '{path}' has no '{net_name}' net (it has: "
                f"{', '.join(sorted(nets)) or 'none'}): pass a checkpoint of a model with "
                f"a {net_name} generator")
        config = model_cfg.get("generator")
        return nets[net_name], (dict(config) if isinstance(config, dict) else None), net_name
    nets = load_weights(path)
    if "" in nets:
        return nets[""], None, net_name
    if net_name in nets:
        return nets[net_name], None, net_name
    raise WeightsNotFoundError(
        f"weights file '{path}' holds nets {', '.join(sorted(nets))} but no "
        f"'{net_name}': pass the {net_name} weights")


def build_generator(config, params, source, net_name):
    """The registered generator ``config`` describes, with ``params`` loaded, in eval
    mode; weights that do not fit are one line (``utils.checkpoint.place_weights``)."""
    from ..models import generators  # noqa: F401  (registers the generators)
    from ..utils.checkpoint import place_weights
    from ..utils.registry import GENERATORS, build

    net = build(config, GENERATORS, f"{net_name} generator config")
    place_weights(net, params, source, net_name)
    net.eval()
    return net


def count_numbered(params, prefix):
    """How many ``prefix<N>.`` blocks a state dict has (EncodeBlock1., EncodeBlock2., ...)."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)\.")
    return len({m.group(1) for m in map(pattern.match, params) if m})
