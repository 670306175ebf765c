"""Deployment: export a model's generators (``paddle.jit`` program, ONNX, meta.json) and
run them through one interface on paddle.inference, onnxruntime or eagerly.

    from ppgan_lite.deploy import export_generator, load_generator
    meta, layer, inputs = export_generator(model, "inference_model/")
    generate = load_generator("inference_model/", backend="auto")

``tools/export_model.py``, ``applications/`` and the predictors all go through here.
"""
from .backends import (BACKENDS, DynamicBackend, GeneratorBackend,  # noqa: F401
                       OnnxRuntimeBackend, PaddleInferenceBackend, cached_onnx,
                       load_generator, onnxruntime_available)
from .export import (add_onnx, export_generator, export_layer, run_dynamic,  # noqa: F401
                     sample_batch, save_static)
from .meta import ExportError, file_sha256, program_files, read_meta  # noqa: F401
from .onnx import DEFAULT_OPSET, onnx_bytes, write_onnx  # noqa: F401
