"""Export a generator for inference: a static Paddle program (``paddle.jit.save``),
its ONNX conversion (paddle2onnx) and a ``meta.json`` that says what goes in and out.

An exported folder holds ``model.json`` + ``model.pdiparams`` (Paddle 3's program and
weights), ``meta.json`` (written last, so a folder with it is complete) and, when asked
for, ``model.onnx``. The batch dimension is left free (``None``); height and width are
fixed to the size the net was trained at, as PaddleGAN's exported models have them.

Files are written to a temporary name and renamed into place, so an interrupted export
never leaves a half-written model that looks whole.
"""
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile

import numpy as np

from .fileio import atomic_write
from .errors import ConfigError, PPGanLiteError, WeightsNotFoundError

PROGRAM_PREFIX = "model"
META_FILE = "meta.json"
ONNX_FILE = "model.onnx"
META_FORMAT = "ppgan_lite-export/1"
DEFAULT_OPSET = 13
# The nets each model exports, in order of preference: DCGAN's generator, U-GAT-IT's
# and Photo2Cartoon's photo -> cartoon generator.
GENERATOR_NETS = ("netG", "genA2B")
ONNX_INSTALL_HINT = "pip install onnxruntime paddle2onnx (or pip install -e '.[onnx]')"


class ExportError(PPGanLiteError):
    """A net cannot be exported or converted; the message names the part that fails."""


# ------------------------------------------------------------------ hashing
def file_sha256(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------ choosing the net
def pick_generator(nets, net_name=None, model_name="the model"):
    """(name, layer) of the net to export from a model's ``nets`` dict."""
    if net_name is not None:
        if net_name not in nets:
            raise ConfigError(f"{model_name} has no net '{net_name}'; its nets are "
                              f"{', '.join(nets)}: pass one of them with --net")
        return net_name, nets[net_name]
    for name in GENERATOR_NETS:
        if name in nets:
            return name, nets[name]
    raise ConfigError(f"{model_name} has none of the generator nets "
                      f"{', '.join(GENERATOR_NETS)} (its nets are {', '.join(nets)}): "
                      f"name the one to export with --net")


def generator_input(layer):
    """(input kind, name, [C, H, W]) the generator takes.

    A noise generator (it has ``input_nz``, as DCGenerator) takes (N, nz, 1, 1) standard
    normal noise; an image-to-image one (``input_nc`` and ``img_size``, as the U-GAT-IT
    generators) takes (N, input_nc, img_size, img_size) images in [-1, 1].
    """
    if hasattr(layer, "input_nz"):
        return "noise", "noise", [int(layer.input_nz), 1, 1]
    if hasattr(layer, "input_nc") and hasattr(layer, "img_size"):
        size = int(layer.img_size)
        return "image", "image", [int(layer.input_nc), size, size]
    raise ExportError(f"cannot tell the input shape of {type(layer).__name__}: it has "
                      f"neither input_nz (noise) nor input_nc and img_size (image)")


def sample_input(kind, chw, batch, seed=0):
    """A reproducible input batch: N(0, 1) noise, or images uniform in [-1, 1]."""
    rng = np.random.RandomState(seed)
    shape = [batch] + list(chw)
    if kind == "noise":
        return rng.standard_normal(shape).astype("float32")
    return rng.uniform(-1.0, 1.0, shape).astype("float32")


# ------------------------------------------------------------------ Paddle program
def _image_output_layer(layer, first_of_tuple):
    """``layer`` wrapped so the exported program returns only the generated image: the
    U-GAT-IT generators return (image, cam_logit, heatmap)."""
    import paddle

    class ImageOutput(paddle.nn.Layer):
        def __init__(self, net, pick_first):
            super().__init__()
            self.net = net
            self.pick_first = pick_first

        def forward(self, x):
            out = self.net(x)
            if self.pick_first:
                out = out[0]
            return out

    return ImageOutput(layer, first_of_tuple)


def run_dynamic(layer, x):
    """``layer(x)`` in eval mode without gradients, as a numpy array (first output)."""
    import paddle

    layer.eval()
    with paddle.no_grad():
        out = layer(paddle.to_tensor(x))
    if isinstance(out, (tuple, list)):
        out = out[0]
    return out.numpy()


def _one_line(exc):
    """The line of a (multi-line) Paddle error that says what went wrong."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line):
            return line
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _conversion_site(exc):
    """'in mix_instance_layer_norm' when Paddle's dy2static names the function whose
    translated code failed (its temp file is called <function><random>.py)."""
    match = re.findall(r"to_static_tmp/\d+/([A-Za-z_]\w*?)[a-z0-9_]{8}\.py", str(exc))
    return f" (in {match[-1]})" if match else ""


def save_static(layer, input_name, chw, directory):
    """``paddle.jit.save`` the layer with input (None, *chw) into ``directory``; the
    program returns the image only. Returns the output shape (batch dim None)."""
    import paddle

    layer.eval()
    try:
        with paddle.no_grad():
            probe = layer(paddle.zeros([1] + list(chw), dtype="float32"))
    except Exception as exc:
        raise ExportError(f"{type(layer).__name__} fails on a zero input of shape "
                          f"{[1] + list(chw)}: {_one_line(exc)}") from None
    first_of_tuple = isinstance(probe, (tuple, list))
    out_shape = list((probe[0] if first_of_tuple else probe).shape)
    wrapped = _image_output_layer(layer, first_of_tuple)
    wrapped.eval()
    spec = paddle.static.InputSpec([None] + list(chw), "float32", input_name)
    try:
        paddle.jit.save(wrapped, os.path.join(directory, PROGRAM_PREFIX), input_spec=[spec])
    except Exception as exc:  # dy2static raises many types; the message is what matters
        raise ExportError(
            f"paddle.jit.save could not turn {type(layer).__name__} into a static program"
            f"{_conversion_site(exc)}: {_one_line(exc)}") from None
    return [None] + out_shape[1:]


def program_files(directory):
    """(program, params) of an exported folder: meta.json's names, else the one
    *.json (Paddle 3) or *.pdmodel (Paddle 2) program beside a *.pdiparams."""
    meta = read_meta(directory)
    files = meta.get("files") or {}
    if files.get("program"):
        # params is None for a net without parameters (paddle.jit.save writes no file)
        paths = [os.path.join(directory, files[k]) for k in ("program", "params")
                 if files.get(k)]
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise WeightsNotFoundError(f"'{missing[0]}' is missing although meta.json names "
                                       f"it: export the model again")
        return paths[0], (paths[1] if len(paths) > 1 else "")
    names = sorted(os.listdir(directory))
    params = [n for n in names if n.endswith(".pdiparams")]
    programs = [n for n in names if n.endswith((".json", ".pdmodel")) and n != META_FILE]
    for param in params:
        stem = param[:-len(".pdiparams")]
        for ext in (".json", ".pdmodel"):
            if stem + ext in programs:
                return os.path.join(directory, stem + ext), os.path.join(directory, param)
    raise WeightsNotFoundError(f"'{directory}' holds no exported Paddle model (a *.json or "
                               f"*.pdmodel program with its *.pdiparams): export one with "
                               f"tools/export_model.py")


# ------------------------------------------------------------------ meta.json
def read_meta(directory):
    path = os.path.join(directory, META_FILE)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"'{path}' is not valid JSON ({exc}): export the model again") \
            from None
    return meta if isinstance(meta, dict) else {}


def write_meta(directory, meta):
    data = json.dumps(meta, indent=2).encode("utf-8")
    return write_file_atomically(os.path.join(directory, META_FILE), data)


def write_file_atomically(path, data):
    """``data`` to ``path`` via a temp file and a rename (``utils.fileio``)."""
    return atomic_write(path, lambda f: f.write(data))


def make_meta(model_name, net_name, layer, kind, input_name, chw, out_shape, weights_path):
    import paddle

    from .. import __version__

    size = chw[-1] if kind == "image" else out_shape[-1]
    return {
        "format": META_FORMAT,
        "model": model_name,
        "net": net_name,
        "generator": type(layer).__name__,
        "input_name": input_name,
        "input_kind": kind,
        "input_shape": [None] + list(chw),
        # images go in and come out in [-1, 1]; noise is N(0, 1), unbounded
        "input_range": [-1.0, 1.0] if kind == "image" else None,
        "output_shape": list(out_shape),
        "output_range": [-1.0, 1.0],
        "img_size": int(size),
        "layout": "NCHW",
        "dtype": "float32",
        "files": {"program": f"{PROGRAM_PREFIX}.json", "params": f"{PROGRAM_PREFIX}.pdiparams"},
        "weights": {"file": os.path.basename(weights_path), "sha256": file_sha256(weights_path)}
        if weights_path else None,
        "versions": {"ppgan_lite": __version__, "paddle": paddle.__version__},
    }


def export_layer(layer, output_dir, model_name="", net_name="", weights_path=None):
    """Write ``layer`` as a static Paddle program + meta.json into ``output_dir``.

    The files are saved in a temporary folder beside it and moved in, meta.json last.
    Returns the meta dict.
    """
    kind, input_name, chw = generator_input(layer)
    os.makedirs(output_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=output_dir)
    try:
        out_shape = save_static(layer, input_name, chw, staging)
        program = os.path.join(staging, f"{PROGRAM_PREFIX}.json")
        if not os.path.isfile(program):
            raise ExportError(f"paddle.jit.save wrote no {PROGRAM_PREFIX}.json: Paddle 3 with "
                              f"its new IR (PIR) is needed; this is paddle "
                              f"{_paddle_version()}")
        # files of an earlier export that this one does not replace (its model.onnx,
        # or the params of a net that had some) would no longer match the program
        written = set(os.listdir(staging))
        for name in (f"{PROGRAM_PREFIX}.json", f"{PROGRAM_PREFIX}.pdiparams", ONNX_FILE):
            if name not in written and os.path.exists(os.path.join(output_dir, name)):
                os.remove(os.path.join(output_dir, name))
        for name in written:
            os.replace(os.path.join(staging, name), os.path.join(output_dir, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    meta = make_meta(model_name, net_name, layer, kind, input_name, chw, out_shape,
                     weights_path)
    if not os.path.isfile(os.path.join(output_dir, meta["files"]["params"])):
        meta["files"]["params"] = None  # a net without parameters
    write_meta(output_dir, meta)
    return meta


def _paddle_version():
    import paddle

    return paddle.__version__


# ------------------------------------------------------------------ ONNX
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def onnx_bytes(directory, opset=DEFAULT_OPSET):
    """The exported Paddle model in ``directory`` converted to ONNX by paddle2onnx.

    paddle2onnx reports a failed conversion by printing it and calling ``sys.exit``;
    that is caught here and its reason (the op it could not convert) raised as one line.
    """
    try:
        import paddle2onnx
    except ImportError:
        raise ExportError(f"ONNX export needs paddle2onnx: {ONNX_INSTALL_HINT}") from None
    program, params = program_files(directory)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            # save_file=None returns the model: we write it ourselves (atomically) and
            # skip paddle2onnx's optional polygraphy pass, which may pip-install at run time
            model = paddle2onnx.export(program, params, None, opset_version=int(opset),
                                       enable_onnx_checker=True)
    except (Exception, SystemExit) as exc:
        reason = _paddle2onnx_reason(printed.getvalue()) or _one_line(exc)
        raise ExportError(f"paddle2onnx {paddle2onnx.__version__} could not convert "
                          f"'{program}': {reason}") from None
    if not isinstance(model, (bytes, bytearray)) or not model:
        raise ExportError(f"paddle2onnx {paddle2onnx.__version__} returned no model for "
                          f"'{program}': {_paddle2onnx_reason(printed.getvalue())}")
    return bytes(model)


def _paddle2onnx_reason(printed):
    text = _ANSI.sub("", printed)
    for line in text.splitlines():
        if "[ERROR]" in line:
            reason = line.split("[ERROR]", 1)[1].strip()
            return reason.replace("Failed to convert PaddlePaddle model: ", "")
    return ""


def write_onnx(directory, onnx_path=None, opset=DEFAULT_OPSET):
    """Convert the exported model in ``directory``; write it atomically to
    ``onnx_path`` (default ``directory/model.onnx``). Returns the path."""
    onnx_path = onnx_path or os.path.join(directory, ONNX_FILE)
    return write_file_atomically(onnx_path, onnx_bytes(directory, opset))
