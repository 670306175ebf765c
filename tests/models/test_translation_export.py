"""The pix2pix / CycleGAN generators export: paddle.jit.save with a free batch
dimension, then paddle2onnx + onnxruntime, within 1e-4 of the dynamic eval output.

pix2pix's batch norm normalises with the batch's statistics in eval mode; Paddle saves
it as batch_norm with trainable_statistics and paddle2onnx as BatchNormalization with
training_mode=1, so the exported models keep that (an image's output depends on its
batch) and the state-dict names stay PaddleGAN's.
"""
import os

import numpy as np
import pytest

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle

from ppgan_lite.deploy import onnx_bytes, run_dynamic, sample_batch, save_static
from ppgan_lite.models.base_model import NetInput

from translation_testutils import assert_close, case_net, case_path, load_case

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("paddle2onnx")

GENERATOR_CASES = ["unet_batch", "unet_instance_dropout", "resnet_instance_reflect",
                   "resnet_batch_replicate"]


@pytest.mark.parametrize("name", GENERATOR_CASES)
def test_generator_exports_with_a_free_batch_and_matches_onnx(name, tmp_path):
    case, ref = load_case(case_path(name))
    net = case_net(case, ref["params"])
    inputs = [NetInput("image", "image",
                       (case["kwargs"]["input_nc"], case["size"], case["size"]))]
    out_shape = save_static(net, inputs, str(tmp_path))
    assert out_shape == [None, case["kwargs"]["output_nc"], case["size"], case["size"]]
    assert os.path.isfile(tmp_path / "model.json")

    program = paddle.jit.load(str(tmp_path / "model"))
    session = ort.InferenceSession(onnx_bytes(str(tmp_path)))
    assert session.get_inputs()[0].shape[0] in (None, -1) or \
        isinstance(session.get_inputs()[0].shape[0], str)  # symbolic batch
    for batch in (1, 3):  # the probe used batch 1; 3 is neither it nor the reference's
        x, = sample_batch(inputs, batch, seed=batch)
        dynamic = run_dynamic(net, x)
        with paddle.no_grad():
            assert_close(program(paddle.to_tensor(x)).numpy(), dynamic)
        onnx_out = session.run(None, {session.get_inputs()[0].name: x})[0]
        assert_close(onnx_out, dynamic)
    # the reference batch through ONNX gives PaddleGAN's eval output
    onnx_ref = session.run(None, {session.get_inputs()[0].name: ref["input"]})[0]
    assert_close(onnx_ref, ref["eval"])


def test_exported_batch_norm_keeps_the_batch_dependence(tmp_path):
    """The same image alone and beside another gives different outputs, in the ONNX
    model exactly as in the dynamic net (a folded inference-mode batch norm would not)."""
    case, ref = load_case(case_path("unet_batch"))
    net = case_net(case, ref["params"])
    save_static(net, [NetInput("image", "image", (3, 32, 32))], str(tmp_path))
    session = ort.InferenceSession(onnx_bytes(str(tmp_path)))
    name = session.get_inputs()[0].name
    pair = ref["input"]
    alone = session.run(None, {name: pair[:1]})[0]
    together = session.run(None, {name: pair})[0][:1]
    assert np.abs(alone - together).max() > 1e-3
    assert_close(alone, run_dynamic(net, pair[:1]))
