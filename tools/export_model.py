#!/usr/bin/env python
"""Export a trained generator for inference without the training code.

    python tools/export_model.py -c configs/dcgan_lfw.yaml --load iter_00000800.ckpt.npz \\
        --output_dir inference_model/ [--onnx] [--opset 13] [--net genA2B]

Writes ``model.json`` + ``model.pdiparams`` (run them with
``ppgan_lite.apps.inference.load_generator(dir, backend='paddle')``), ``meta.json``
(model, input name/shape, value ranges, image size) and, with ``--onnx``,
``model.onnx``. The exported program takes any batch size; its output is the image
only (U-GAT-IT's generators also return CAM logits and a heatmap, which inference
does not need). With ``--onnx`` and onnxruntime installed the ONNX model is checked
against the dynamic one before it is written.

DCGAN exports ``netG`` (input: noise (N, nz, 1, 1)); U-GAT-IT and Photo2Cartoon export
``genA2B`` (input: images (N, 3, S, S) in [-1, 1]); ``--net genB2A`` the other way.
"""
import argparse
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ppgan_lite  # noqa: E402,F401  (CPU settings before paddle loads)

CHECK_BATCH = 2


def parse_args(argv=None):
    from ppgan_lite.utils.export import DEFAULT_OPSET

    p = argparse.ArgumentParser(prog="tools/export_model.py",
                                description="Export a generator for paddle.inference / ONNX.")
    p.add_argument("-c", "--config-file", "--config_file", dest="config_file", required=True,
                   help="the YAML config the weights were trained with")
    p.add_argument("--load", required=True,
                   help="weights: a ppgan_lite checkpoint (.ckpt.npz) or a .pdparams")
    p.add_argument("--output-dir", "--output_dir", dest="output_dir",
                   default="inference_model", help="folder to write (default: inference_model)")
    p.add_argument("-o", "--opt", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="override config keys, as in tools/main.py")
    p.add_argument("--net", default=None,
                   help="net to export (default: netG or genA2B, whichever the model has)")
    p.add_argument("--onnx", action="store_true", help="also write model.onnx (paddle2onnx)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                   help=f"ONNX opset (default {DEFAULT_OPSET}; paddle2onnx raises it if an "
                        f"op needs a newer one)")
    p.add_argument("--atol", type=float, default=1e-4,
                   help="largest |onnx - paddle| accepted by the check (default 1e-4)")
    p.add_argument("--skip-check", "--skip_check", dest="skip_check", action="store_true",
                   help="do not compare the ONNX model with the dynamic one")
    return p.parse_args(argv)


def load_generator_net(config_file, weights, net_name=None, overrides=None):
    """(model name, net name, generator Layer with the weights loaded, in eval mode)."""
    from ppgan_lite import register_all
    from ppgan_lite.utils.checkpoint import load_weights
    from ppgan_lite.utils.config import load_config
    from ppgan_lite.utils.errors import ConfigError, WeightsNotFoundError
    from ppgan_lite.utils.checkpoint import place_weights
    from ppgan_lite.utils.export import pick_generator
    from ppgan_lite.utils.registry import MODELS, build

    nets = load_weights(weights)  # first: a missing file should not wait for a model build
    register_all()
    cfg = load_config(config_file, overrides)
    if "model" not in cfg:
        raise ConfigError(f"config '{config_file}' has no 'model' section")
    model = build(cfg.model, MODELS, "model")
    model_name = cfg.model["name"]
    net_name, net = pick_generator(model.nets, net_name, model_name)
    if set(nets) == {""}:  # a .pdparams of one net: the generator's
        params = nets[""]
    elif net_name in nets:
        params = nets[net_name]
    else:
        raise WeightsNotFoundError(f"'{weights}' has no weights for net '{net_name}' (it has "
                                   f"{', '.join(sorted(nets))}): pass --net or the matching "
                                   f"weights")
    place_weights(net, params, weights, net_name)
    net.eval()
    return model_name, net_name, net


def check_onnx(net, meta, onnx_path, atol):
    """Largest |onnxruntime - dynamic| on a sample batch; ExportError above ``atol``."""
    from ppgan_lite.apps.inference import OnnxRuntimeBackend
    from ppgan_lite.utils.export import ExportError, run_dynamic, sample_input

    x = sample_input(meta["input_kind"], meta["input_shape"][1:], CHECK_BATCH, seed=1)
    diff = float(abs(OnnxRuntimeBackend(onnx_path)(x) - run_dynamic(net, x)).max())
    if not diff <= atol:
        raise ExportError(f"the ONNX model differs from the Paddle one by {diff:.2e} "
                          f"(> --atol {atol:g}); it was not written (pass a larger --atol "
                          f"to accept it)")
    return diff


def export(args):
    """Run the export; returns the lines to print."""
    from ppgan_lite.apps.inference import onnxruntime_available
    from ppgan_lite.utils.export import (ONNX_FILE, export_layer, onnx_bytes, write_meta,
                                         write_file_atomically)

    model_name, net_name, net = load_generator_net(args.config_file, args.load, args.net,
                                                   args.opt)
    meta = export_layer(net, args.output_dir, model_name, net_name, args.load)
    lines = [f"exported {model_name}.{net_name} ({meta['generator']}): input "
             f"{meta['input_name']} {meta['input_shape']} -> {meta['output_shape']} "
             f"in {args.output_dir}"]
    if args.onnx:
        onnx_path = os.path.join(args.output_dir, ONNX_FILE)
        # checked under a hidden name first: a model.onnx that is there is a checked one
        staged = write_file_atomically(os.path.join(args.output_dir, f".{ONNX_FILE}.check"),
                                       onnx_bytes(args.output_dir, args.opset))
        try:
            if args.skip_check or not onnxruntime_available():
                diff = None
            else:
                diff = check_onnx(net, meta, staged, args.atol)
            os.replace(staged, onnx_path)
        finally:
            if os.path.exists(staged):
                os.remove(staged)
        meta["files"]["onnx"] = ONNX_FILE
        meta["onnx"] = {"opset_requested": args.opset, "max_abs_diff_vs_paddle": diff}
        write_meta(args.output_dir, meta)
        checked = ("not checked (onnxruntime is not installed)" if diff is None and
                   not args.skip_check else "not checked" if diff is None else
                   f"max |onnxruntime - dynamic paddle| = {diff:.1e}")
        lines.append(f"wrote {onnx_path}: {checked}")
    return lines


def main(argv=None):
    from ppgan_lite.utils.errors import run_cli
    from ppgan_lite.utils.runtime import import_paddle_quietly

    args = parse_args(argv)
    import_paddle_quietly()
    def work():
        for line in export(args):  # progress lines as each step finishes
            print(line, flush=True)

    return run_cli(work)


if __name__ == "__main__":
    sys.exit(main())
