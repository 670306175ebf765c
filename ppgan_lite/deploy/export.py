"""Export a generator for inference: a static Paddle program (``paddle.jit.save``), its
ONNX conversion (checked against the dynamic net before it is kept) and a
``meta.json`` that says what goes in and out (``deploy/meta.py``).

What to export comes from the model's declaration (``BaseModel.generators``): the net,
the Layer to call (``generator_layer``) and its inputs in order. The batch dimension is
left free; image heights and widths are fixed to the size the net was trained at, as
PaddleGAN's exported models have them.

Files are written to a temporary folder and renamed into place, meta.json last, so an
interrupted export never leaves a half-written model that looks whole.
"""
import os
import re
import shutil
import tempfile

import numpy as np

from .meta import (ONNX_FILE, PROGRAM_PREFIX, ExportError, make_meta, write_file_atomically,
                   write_meta)
from .onnx import DEFAULT_OPSET, error_line, onnx_bytes

CHECK_BATCH = 2


def sample_batch(inputs, batch, seed=0):
    """A reproducible batch for ``inputs`` (NetInputs): N(0, 1) noise, images uniform in
    [-1, 1], one-hot labels, scalars in [0.5, 1]; sizes of None become 64."""
    rng = np.random.RandomState(seed)
    arrays = []
    for item in inputs:
        shape = [batch] + [64 if d is None else d for d in item.shape]
        if item.kind == "noise":
            arrays.append(rng.standard_normal(shape))
        elif item.kind == "image":
            arrays.append(rng.uniform(-1.0, 1.0, shape))
        elif item.kind == "labels":
            arrays.append(np.eye(shape[1])[rng.randint(0, shape[1], batch)])
        else:
            arrays.append(rng.uniform(0.5, 1.0, shape))
    return [a.astype("float32") for a in arrays]


def run_dynamic(layer, *arrays):
    """``layer(*arrays)`` in eval mode without gradients, as a numpy array (the first
    output where the net returns several)."""
    import paddle

    layer.eval()
    with paddle.no_grad():
        out = layer(*[paddle.to_tensor(a) for a in arrays])
    if isinstance(out, (tuple, list)):
        out = out[0]
    return out.numpy()


def _image_output(layer, first_of_tuple, num_inputs):
    """``layer`` wrapped so the exported program returns only the generated image (the
    U-GAT-IT generators return (image, cam_logit, heatmap)). dy2static needs a forward
    with named arguments, so there is one wrapper per number of inputs."""
    import paddle

    class ImageOutput(paddle.nn.Layer):
        def __init__(self, net, pick_first):
            super().__init__()
            self.net = net
            self.pick_first = pick_first

        def image(self, out):
            return out[0] if self.pick_first else out

    class OneInput(ImageOutput):
        def forward(self, x):
            return self.image(self.net(x))

    class TwoInputs(ImageOutput):
        def forward(self, x, y):
            return self.image(self.net(x, y))

    class ThreeInputs(ImageOutput):
        def forward(self, x, y, z):
            return self.image(self.net(x, y, z))

    wrappers = {1: OneInput, 2: TwoInputs, 3: ThreeInputs}
    if num_inputs not in wrappers:
        raise ExportError(f"{type(layer).__name__} takes {num_inputs} inputs; export takes "
                          f"generators of 1 to 3")
    return wrappers[num_inputs](layer, first_of_tuple)


def _conversion_site(exc):
    """'in mix_instance_layer_norm' when Paddle's dy2static names the function whose
    translated code failed (its temp file is called <function><random>.py)."""
    match = re.findall(r"to_static_tmp/\d+/([A-Za-z_]\w*?)[a-z0-9_]{8}\.py", str(exc))
    return f" (in {match[-1]})" if match else ""


def save_static(layer, inputs, directory):
    """``paddle.jit.save`` the layer with ``inputs`` (NetInputs, batch dimension free)
    into ``directory``; the program returns the image only. Returns the output shape
    (batch dim None)."""
    import paddle

    layer.eval()
    probe_inputs = sample_batch(inputs, 1)
    try:
        with paddle.no_grad():
            probe = layer(*[paddle.to_tensor(a) for a in probe_inputs])
    except Exception as exc:
        shapes = ", ".join(str(list(a.shape)) for a in probe_inputs)
        raise ExportError(f"{type(layer).__name__} fails on inputs of shape {shapes}: "
                          f"{error_line(exc)}") from None
    first_of_tuple = isinstance(probe, (tuple, list))
    out_shape = list((probe[0] if first_of_tuple else probe).shape)
    wrapped = _image_output(layer, first_of_tuple, len(inputs))
    wrapped.eval()
    specs = [paddle.static.InputSpec([None] + list(a.shape[1:]), "float32", item.name)
             for item, a in zip(inputs, probe_inputs)]
    try:
        paddle.jit.save(wrapped, os.path.join(directory, PROGRAM_PREFIX), input_spec=specs)
    except Exception as exc:  # dy2static raises many types; the message is what matters
        raise ExportError(
            f"paddle.jit.save could not turn {type(layer).__name__} into a static program"
            f"{_conversion_site(exc)}: {error_line(exc)}") from None
    return [None] + out_shape[1:]


def export_layer(layer, inputs, output_dir, model_name="", net_name="", weights_path=None):
    """Write ``layer`` (taking ``inputs``, NetInputs in order) as a static Paddle
    program + meta.json into ``output_dir``. Returns the meta dict."""
    import paddle

    os.makedirs(output_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=output_dir)
    try:
        out_shape = save_static(layer, inputs, staging)
        if not os.path.isfile(os.path.join(staging, f"{PROGRAM_PREFIX}.json")):
            raise ExportError(f"paddle.jit.save wrote no {PROGRAM_PREFIX}.json: Paddle 3 with "
                              f"its new IR (PIR) is needed; this is paddle {paddle.__version__}")
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
    meta = make_meta(model_name, net_name, layer, inputs, out_shape, weights_path)
    if not os.path.isfile(os.path.join(output_dir, meta["files"]["params"])):
        meta["files"]["params"] = None  # a net without parameters
    if _has_batch_statistics_norm(layer):
        # paddle.inference's oneDNN batch_norm uses the running statistics even where
        # the program asks for the batch's (pix2pix's norm): off by ~0.3-0.45
        meta["paddle_inference"] = {"onednn": False}
    write_meta(output_dir, meta)
    return meta


def _has_batch_statistics_norm(layer):
    import paddle

    return any(isinstance(sub, paddle.nn.BatchNorm) and getattr(sub, "_trainable_statistics",
                                                                 False)
               for sub in layer.sublayers(include_self=True))


def export_generator(model, output_dir, net=None, weights_path=None, model_name=None):
    """Export one of ``model``'s declared generators (default: the main one).
    Returns (meta, the Layer exported, its inputs)."""
    spec = model.generator_spec(net)
    layer = model.generator_layer(spec.net)
    meta = export_layer(layer, spec.inputs, output_dir, model_name or type(model).__name__,
                        spec.net, weights_path)
    return meta, layer, spec.inputs


def add_onnx(layer, inputs, output_dir, meta, opset=DEFAULT_OPSET, atol=1e-4, check=True):
    """Convert the export in ``output_dir`` to ``model.onnx``, checked against the
    dynamic ``layer`` on a sample batch first (under a hidden name: a model.onnx that
    is there is a checked one). Returns (path, max |onnx - dynamic| or None)."""
    from .backends import OnnxRuntimeBackend, onnxruntime_available

    onnx_path = os.path.join(output_dir, ONNX_FILE)
    staged = write_file_atomically(os.path.join(output_dir, f".{ONNX_FILE}.check"),
                                   onnx_bytes(output_dir, opset))
    try:
        diff = None
        if check and onnxruntime_available():
            batch = sample_batch(inputs, CHECK_BATCH, seed=1)
            diff = float(np.abs(OnnxRuntimeBackend(staged)(*batch)
                                - run_dynamic(layer, *batch)).max())
            if not diff <= atol:
                raise ExportError(f"the ONNX model differs from the Paddle one by {diff:.2e} "
                                  f"(> --atol {atol:g}); it was not written (pass a larger "
                                  f"--atol to accept it)")
        os.replace(staged, onnx_path)
    finally:
        if os.path.exists(staged):
            os.remove(staged)
    meta["files"]["onnx"] = ONNX_FILE
    meta["onnx"] = {"opset_requested": int(opset), "max_abs_diff_vs_paddle": diff}
    write_meta(output_dir, meta)
    return onnx_path, diff
