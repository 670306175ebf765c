"""Convert MediaPipe's selfie-segmentation .tflite models to ppgan_lite's Paddle net.

    python tools/convert_selfie_seg.py            # downloads the mediapipe wheel
    python tools/convert_selfie_seg.py --wheel mediapipe-0.10.14-...whl

Needs (for conversion only, not at run time): pip and ``ai-edge-litert``, which
parses the flatbuffer (its generated TFLite schema) and runs the original models
as the reference. Mediapipe itself is never installed: ``pip download --no-deps
mediapipe==0.10.14`` fetches the wheel (the last one that ships the two .tflite
files) and the models are read from the zip.

Writes
  ppgan_lite/faceutils/weights/selfie_segmentation_{general,landscape}.npz
      fp16 weights (the .tflite stores them as fp16) keyed by SelfieSegNet's
      parameter names, in Paddle's layouts;
  ppgan_lite/faceutils/weights/NOTICE, LICENSE (Apache 2.0, from the wheel);
  tests/faceutils/data/selfie_reference.npz
      LiteRT's output on fixed inputs cut from skimage's astronaut, so the test
      suite can check the port without LiteRT.
Fails if the Paddle port and LiteRT differ by more than 1e-3 anywhere.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import ppgan_lite  # noqa: E402,F401  (CPU settings before paddle loads)
import paddle  # noqa: E402

from ppgan_lite.faceutils.selfie_net import (INPUT_SIZES, SelfieSegNet,  # noqa: E402
                                             WEIGHTS_DIR, load_selfie_net)

MEDIAPIPE = "mediapipe==0.10.14"
MODEL_FILES = {
    "general": "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
    "landscape": "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
}
REFERENCE = os.path.join(REPO, "tests", "faceutils", "data", "selfie_reference.npz")
TOLERANCE = 1e-3
# Everything else in the graph is computed by SelfieSegNet's forward; an op outside
# this set means a different model and the conversion stops.
KNOWN_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "Convolution2DTransposeBias", "DEQUANTIZE",
             "HARD_SWISH", "RELU", "LOGISTIC", "AVERAGE_POOL_2D", "MEAN", "ADD", "MUL",
             "RESIZE_BILINEAR"}
WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "Convolution2DTransposeBias")


def reference_inputs():
    """Fixed uint8 RGB inputs, no resampling involved: exact on every machine."""
    from skimage import data
    astronaut = data.astronaut()  # 512x512
    return {"general": astronaut[::2, ::2], "landscape": astronaut[:288:2, ::2]}


def fetch_wheel(directory):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    MEDIAPIPE, "-d", directory], check=True)
    wheels = [f for f in os.listdir(directory) if f.startswith("mediapipe-")]
    if not wheels:
        sys.exit(f"pip download {MEDIAPIPE} produced no wheel in {directory}")
    return os.path.join(directory, wheels[0])


def read_wheel(wheel):
    with zipfile.ZipFile(wheel) as z:
        models = {k: z.read(v) for k, v in MODEL_FILES.items()}
        licence = next(n for n in z.namelist() if n.endswith(".dist-info/LICENSE"))
        return models, z.read(licence).decode("utf-8")


def weight_ops(model_bytes):
    """[(op name, kernel, bias, options)] of the weight-bearing ops, in graph order."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    graph = model.subgraphs[0]
    op_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if k.isupper()}
    producer = {}  # DEQUANTIZE output tensor -> fp16 constant tensor

    def op_name(op):
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        if builtin == schema.BuiltinOperator.CUSTOM:
            return code.customCode.decode()
        return op_names[builtin]

    def constant(index):
        tensor = graph.tensors[producer.get(index, index)]
        raw = np.asarray(model.buffers[tensor.buffer].data, dtype=np.uint8).tobytes()
        dtype = {schema.TensorType.FLOAT16: np.float16,
                 schema.TensorType.FLOAT32: np.float32}[tensor.type]
        return np.frombuffer(raw, dtype=dtype).reshape(tensor.shape)

    found = []
    for op in graph.operators:
        name = op_name(op)
        if name not in KNOWN_OPS:
            sys.exit(f"unexpected op {name}: this is not the selfie-segmentation model")
        if name == "DEQUANTIZE":
            producer[op.outputs[0]] = op.inputs[0]
        elif name in WEIGHT_OPS:
            options = op.builtinOptions
            if options is not None and options.fusedActivationFunction != 0:
                sys.exit(f"{name} with a fused activation is not handled by SelfieSegNet")
            found.append((name, constant(op.inputs[1]), constant(op.inputs[2]), options))
    return found


def to_paddle_layout(op, kernel):
    if op == "CONV_2D":                       # OHWI -> OIHW
        return kernel.transpose(0, 3, 1, 2)
    if op == "DEPTHWISE_CONV_2D":             # 1HWC -> C1HW, groups = C
        return kernel.transpose(3, 0, 1, 2)
    return kernel.transpose(3, 0, 1, 2)       # transposed conv OHWI -> IOHW


def convert(model_bytes):
    """State dict (fp16 numpy) of SelfieSegNet from one .tflite model."""
    net = SelfieSegNet()
    layers = [(n, l) for n, l in net.named_sublayers()
              if isinstance(l, (paddle.nn.Conv2D, paddle.nn.Conv2DTranspose))]
    ops = weight_ops(model_bytes)
    if len(ops) != len(layers):
        sys.exit(f"the model has {len(ops)} convolutions, SelfieSegNet {len(layers)}")
    state = {}
    for (name, layer), (op, kernel, bias, options) in zip(layers, ops):
        weight = to_paddle_layout(op, kernel)
        if tuple(layer.weight.shape) != weight.shape:
            sys.exit(f"{name}: {op} kernel {kernel.shape} -> {weight.shape}, "
                     f"layer has {tuple(layer.weight.shape)}")
        if options is not None and options.strideH != layer._stride[0]:
            sys.exit(f"{name}: stride {options.strideH} in the model, {layer._stride} here")
        state[f"{name}.weight"] = weight.astype(np.float16)
        state[f"{name}.bias"] = bias.astype(np.float16)
    return state


def litert_run(model_bytes, rgb):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                           (rgb[None].astype(np.float32) / 255.0))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, :, 0]


def paddle_run(net, rgb):
    x = paddle.to_tensor(rgb.transpose(2, 0, 1)[None].astype("float32") / 255.0)
    with paddle.no_grad():
        return net(x).numpy()[0, 0]


NOTICE = """\
selfie_segmentation_general.npz and selfie_segmentation_landscape.npz hold the
weights of MediaPipe's Selfie Segmentation models (selfie_segmentation.tflite and
selfie_segmentation_landscape.tflite from the {wheel} wheel on PyPI), converted
to Paddle layouts by tools/convert_selfie_seg.py; values are unchanged (fp16, as
stored in the .tflite files).

MediaPipe: Copyright The MediaPipe Authors. Licensed under the Apache License,
Version 2.0 (see LICENSE in this folder). https://github.com/google-ai-edge/mediapipe
Model card: "MediaPipe Selfie Segmentation" (Google, 2021).
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", help=f"a downloaded {MEDIAPIPE} wheel")
    parser.add_argument("--out-dir", default=WEIGHTS_DIR)
    parser.add_argument("--reference", default=REFERENCE)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        models, licence = read_wheel(args.wheel or fetch_wheel(tmp))
    os.makedirs(args.out_dir, exist_ok=True)
    inputs = reference_inputs()
    reference = {}
    for variant, model_bytes in models.items():
        path = os.path.join(args.out_dir, f"selfie_segmentation_{variant}.npz")
        state = convert(model_bytes)
        np.savez_compressed(path, **state)
        rgb = inputs[variant]
        assert rgb.shape[:2] == INPUT_SIZES[variant]
        expected = litert_run(model_bytes, rgb)
        got = paddle_run(load_selfie_net(variant, path), rgb)
        diff = float(np.abs(expected - got).max())
        params = sum(v.size for v in state.values())
        print(f"{variant}: {params} parameters, {os.path.getsize(path) / 1024:.0f} KiB, "
              f"max |paddle - litert| = {diff:.2e}")
        if diff > TOLERANCE:
            sys.exit(f"{variant}: the Paddle port differs from LiteRT by {diff:.2e}")
        reference[variant] = expected.astype(np.float32)
    with open(os.path.join(args.out_dir, "LICENSE"), "w") as f:
        f.write(licence)
    with open(os.path.join(args.out_dir, "NOTICE"), "w") as f:
        f.write(NOTICE.format(wheel=MEDIAPIPE))
    os.makedirs(os.path.dirname(args.reference), exist_ok=True)
    np.savez_compressed(args.reference, **reference)
    print(f"wrote {args.out_dir} and {args.reference}")


if __name__ == "__main__":
    main()
