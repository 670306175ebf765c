"""Run a generator for inference through one interface, whatever runs it:

    generate = load_generator("inference_model/", backend="auto")
    images = generate(x)        # x: float32 NCHW numpy array -> NCHW numpy array
    images = generate(z, t)     # a generator of several inputs takes them in order

Backends:

* ``'paddle'``: an exported folder (tools/export_model.py) through ``paddle.inference``
  on the CPU, its math library on the usable cores;
* ``'onnxruntime'``: a ``.onnx`` file, or an exported folder (its ``model.onnx``, else
  a conversion cached per weights file, see below);
* ``'dynamic'``: a ``paddle.nn.Layer`` run eagerly (what training uses);
* ``'auto'``: onnxruntime when it is installed, else Paddle with a one-line notice; a
  Layer runs dynamically. (Photo2Cartoon's generator, 256 px, batch 1, 2 busy cores:
  eager 2.4-3.7 s, paddle.inference 1.1 s, onnxruntime 0.5-0.85 s.)

Converting an exported folder to ONNX takes paddle2onnx a few seconds, so the result is
kept in ``$PPGAN_LITE_CACHE/onnx/`` (default ``~/.cache/ppgan_lite/onnx/``), named by
the SHA-256 of the weights file (and of the program, which fixes the image size), and
written atomically; nothing is ever written next to the model (it may sit in a
read-only site-packages). Each backend loads its predictor or session once and reuses it
for every call. Generator outputs are in [-1, 1].
"""
import contextlib
import hashlib
import logging
import os
import re
import sys
import tempfile
import threading

import numpy as np

from ..utils.cache import cache_root
from ..utils.errors import ConfigError, DataError, WeightsNotFoundError
from ..utils.runtime import usable_cores
from . import meta as ex
from .onnx import DEFAULT_OPSET, onnx_bytes

BACKENDS = ("auto", "paddle", "onnxruntime", "dynamic")
logger = logging.getLogger("ppgan_lite.deploy")


def onnxruntime_available():
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------ backends
class GeneratorBackend:
    """``backend(*inputs)``: float32 NCHW arrays in (one per generator input, in
    order), float32 NCHW out. ``inputs`` lists [{name, kind, shape}] where the backend
    knows them (shape with the batch dimension None; None elsewhere means any size)."""

    name = ""
    inputs = ()

    @property
    def input_shape(self):
        """(None, C, H, W) of the first input, or None."""
        return tuple(self.inputs[0]["shape"]) if self.inputs else None

    def __call__(self, *arrays):
        return self.run(*self.check_inputs(arrays))

    def run(self, *arrays):
        raise NotImplementedError

    def check_inputs(self, arrays):
        expected = list(self.inputs)
        if expected and len(arrays) != len(expected):
            names = ", ".join(i["name"] for i in expected)
            raise DataError(f"this generator takes {len(expected)} input(s) ({names}), "
                            f"got {len(arrays)}")
        checked = []
        for k, x in enumerate(arrays):
            x = np.ascontiguousarray(x, dtype=np.float32)
            want = expected[k]["shape"] if expected else None
            if (want and (x.ndim != len(want) or any(
                    w is not None and w > 0 and g != w for g, w in zip(x.shape[1:], want[1:])))
                    ) or (not want and x.ndim != 4):
                shape = ("(N, " + ", ".join("any" if d is None else str(d) for d in want[1:])
                         + ")") if want else "(N, C, H, W)"
                name = f"generator input '{expected[k]['name']}'" if expected else \
                    "generator input"
                raise DataError(f"{name} has shape {tuple(x.shape)}; this model takes "
                                f"float32 {shape}")
            checked.append(x)
        return checked

    def __repr__(self):
        return f"{type(self).__name__}(inputs={[i['name'] for i in self.inputs]})"


def spec_inputs(inputs, any_image_size=False):
    """NetInputs -> the [{name, kind, shape}] backends check against; eager image nets
    are not tied to their training size (``any_image_size``)."""
    out = []
    for item in inputs or ():
        shape = [None] + list(item.shape)
        if any_image_size and item.kind == "image":
            shape = [None, shape[1], None, None]
        out.append({"name": item.name, "kind": item.kind, "shape": shape})
    return out


class DynamicBackend(GeneratorBackend):
    """A ``paddle.nn.Layer`` run eagerly in eval mode; a tuple output (U-GAT-IT's
    image, cam_logit, heatmap) gives its first element. ``inputs`` (NetInputs) are
    checked when given."""

    name = "dynamic"

    def __init__(self, layer, inputs=None):
        layer.eval()
        self.layer = layer
        self.inputs = spec_inputs(inputs, any_image_size=True)

    def run(self, *arrays):
        from .export import run_dynamic

        return run_dynamic(self.layer, *arrays)


class PaddleInferenceBackend(GeneratorBackend):
    """An exported folder through ``paddle.inference`` (CPU).

    oneDNN is tried first (2-3x faster for the DCGAN generator at batch 64). Paddle
    3.3's oneDNN executor cannot run an op with a float-list attribute (e.g.
    ``nearest_interp``'s ``scale``, even when empty) and says so only on the first run
    (an error raised from its onednn_instruction.cc), so that failure switches this
    backend to Paddle's own CPU kernels for good.
    """

    name = "paddle"

    def __init__(self, directory, threads=None):
        self.program, self.params = ex.program_files(directory)
        self.meta = ex.read_meta(directory)
        self.inputs = ex.meta_inputs(self.meta)
        self.threads = int(threads or usable_cores())
        self._lock = threading.Lock()
        self._ran = False
        self.onednn = True
        self._create()

    def _create(self):
        from paddle import inference

        config = inference.Config(self.program, self.params)
        config.disable_gpu()
        config.set_cpu_math_library_num_threads(self.threads)
        if self.onednn:
            config.enable_mkldnn()
        else:
            config.disable_mkldnn()
        config.disable_glog_info()
        self.predictor = inference.create_predictor(config)
        self._inputs = [self.predictor.get_input_handle(n)
                        for n in self.predictor.get_input_names()]
        self._output = self.predictor.get_output_handle(self.predictor.get_output_names()[0])

    def _run_once(self, arrays):
        for handle, x in zip(self._inputs, arrays):
            handle.reshape(list(x.shape))
            handle.copy_from_cpu(x)
        self.predictor.run()
        return self._output.copy_to_cpu()

    def run(self, *arrays):
        with self._lock:  # a predictor is not re-entrant
            try:
                if not self._ran:
                    # Paddle's oneDNN kernels print a debug line per reduce_mean op to
                    # the process's stdout on the first run: not for the user's console
                    with _without_stdout_lines("ReduceMeanCheckIfOneDNNSupport"):
                        out = self._run_once(arrays)
                    self._ran = True
                    return out
                return self._run_once(arrays)
            except (NotImplementedError, RuntimeError) as exc:
                if not self.onednn or "onednn" not in str(exc).lower():
                    raise
                reason = re.sub(r"\s*\(at .*$", "", str(exc).splitlines()[0])
                logger.info("paddle.inference: oneDNN cannot run this program (%s); using "
                            "Paddle's CPU kernels", reason[:160])
                self.onednn = False
                self._create()
                return self._run_once(arrays)


@contextlib.contextmanager
def _without_stdout_lines(needle):
    """Run the block with the process's stdout (file descriptor 1, which C++ writes to)
    captured; afterwards pass on every line that does not contain ``needle``."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines(True)
                    if needle not in line]
            if kept:
                sys.stdout.write("".join(kept))
                sys.stdout.flush()


class OnnxRuntimeBackend(GeneratorBackend):
    """A ``.onnx`` file through onnxruntime's CPU provider, on the usable cores."""

    name = "onnxruntime"

    def __init__(self, onnx_path, threads=None, meta=None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ConfigError(f"backend 'onnxruntime' needs onnxruntime: "
                              f"{ex.ONNX_INSTALL_HINT}") from None
        if not os.path.isfile(onnx_path):
            raise WeightsNotFoundError(f"ONNX model '{onnx_path}' does not exist: export one "
                                       f"with tools/export_model.py --onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads or usable_cores())
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # paddle2onnx leaves unused initializers: not news
        try:
            self.session = ort.InferenceSession(onnx_path, options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise WeightsNotFoundError(f"onnxruntime cannot load '{onnx_path}' "
                                       f"({str(exc).splitlines()[0][:160]}): export it again"
                                       ) from None
        self.onnx_path = onnx_path
        self._names = [i.name for i in self.session.get_inputs()]
        self.output_name = self.session.get_outputs()[0].name
        self.inputs = ex.meta_inputs(meta or {}) or [
            {"name": i.name, "kind": "", "shape": [d if isinstance(d, int) else None
                                                  for d in i.shape]}
            for i in self.session.get_inputs()]

    def run(self, *arrays):
        return self.session.run([self.output_name], dict(zip(self._names, arrays)))[0]


# ------------------------------------------------------------------ ONNX cache
def cached_onnx(directory, opset=DEFAULT_OPSET, cache_dir=None):
    """Path of the ONNX conversion of an exported folder, converting at most once per
    (weights, program, opset): ``<cache>/onnx/<weights sha256>-<program sha256[:16]>-
    opset<N>.onnx``. The program's hash is part of the key because the same weights
    exported at another image size are another graph."""
    program, params = ex.program_files(directory)
    weights_hash = ex.file_sha256(params) if params else hashlib.sha256(b"").hexdigest()
    key = f"{weights_hash}-{ex.file_sha256(program)[:16]}-opset{int(opset)}"
    path = os.path.join(cache_dir or cache_root(), "onnx", f"{key}.onnx")
    if os.path.isfile(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ex.write_file_atomically(path, onnx_bytes(directory, opset))
    logger.info("converted %s to ONNX once: %s", directory, path)
    return path


# ------------------------------------------------------------------ the entry point
def load_generator(path_or_layer, backend="auto", threads=None, cache_dir=None,
                   opset=DEFAULT_OPSET, inputs=None):
    """A callable ``f(x: float32 NCHW ndarray) -> ndarray`` for a generator.

    path_or_layer: an exported folder (tools/export_model.py), a ``.onnx`` file, or a
      ``paddle.nn.Layer``.
    backend: 'auto', 'paddle', 'onnxruntime' or 'dynamic' (see the module docstring).
    threads: math threads (default: the usable cores).
    cache_dir: root of the ONNX cache (default ``$PPGAN_LITE_CACHE`` or
      ``~/.cache/ppgan_lite``).
    inputs: the NetInputs a Layer takes (its model's declaration), checked on each call.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown inference backend '{backend}': use one of "
                          f"{', '.join(BACKENDS)}")
    if not isinstance(path_or_layer, (str, os.PathLike)):
        if backend not in ("auto", "dynamic") or not hasattr(path_or_layer, "parameters"):
            raise ConfigError(f"backend '{backend}' runs an exported model folder or .onnx "
                              f"file, not a {type(path_or_layer).__name__}: export it with "
                              f"tools/export_model.py, or use backend='dynamic' for a Layer")
        return DynamicBackend(path_or_layer, inputs)

    path = os.path.expanduser(os.fspath(path_or_layer))
    if backend == "dynamic":
        raise ConfigError(f"backend 'dynamic' runs a paddle.nn.Layer, not the path '{path}': "
                          f"use backend='paddle' or 'onnxruntime' for exported models")
    if not os.path.exists(path):
        raise WeightsNotFoundError(f"model '{path}' does not exist: pass the folder "
                                   f"tools/export_model.py wrote, or its .onnx file")
    if os.path.isfile(path):
        if path.endswith(".onnx"):
            if backend == "paddle":
                raise ConfigError(f"backend 'paddle' runs an exported Paddle folder, not "
                                  f"the ONNX file '{path}': use backend='onnxruntime'")
            return OnnxRuntimeBackend(path, threads, ex.read_meta(os.path.dirname(path)))
        path = os.path.dirname(path) or "."  # model.json / model.pdiparams: their folder

    meta = ex.read_meta(path)
    if backend == "paddle":
        return PaddleInferenceBackend(path, threads)
    exported_onnx = os.path.join(path, ex.ONNX_FILE)
    if backend == "onnxruntime":
        if os.path.isfile(exported_onnx):
            return OnnxRuntimeBackend(exported_onnx, threads, meta)
        return OnnxRuntimeBackend(cached_onnx(path, opset, cache_dir), threads, meta)

    # auto
    if not onnxruntime_available():
        logger.info("onnxruntime is not installed: running '%s' with paddle.inference "
                    "(for faster CPU inference: %s)", path, ex.ONNX_INSTALL_HINT)
        return PaddleInferenceBackend(path, threads)
    if os.path.isfile(exported_onnx):
        return OnnxRuntimeBackend(exported_onnx, threads, meta)
    try:
        onnx_path = cached_onnx(path, opset, cache_dir)
    except ex.ExportError as exc:
        logger.warning("no ONNX model for '%s' (%s): using paddle.inference", path, exc)
        return PaddleInferenceBackend(path, threads)
    return OnnxRuntimeBackend(onnx_path, threads, meta)
