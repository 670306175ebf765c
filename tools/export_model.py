#!/usr/bin/env python
"""Export a trained generator for inference without the training code.

    python tools/export_model.py -c configs/dcgan_lfw.yaml --load iter_00000800.ckpt.npz \
        --output_dir inference_model/ [--onnx] [--opset 13] [--net genA2B | --net all]

Writes ``model.json`` + ``model.pdiparams`` (run them with
``ppgan_lite.deploy.load_generator(dir, backend='paddle')``), ``meta.json`` (model, net,
its inputs in order with their shapes and ranges, image size) and, with ``--onnx``,
``model.onnx``, checked against the dynamic net before it is written. The exported
program takes any batch size; its output is the image only (U-GAT-IT's generators also
return CAM logits and a heatmap, which inference does not need).

Which net and what it takes come from the model's declaration (``generators``): the
main generator by default (DCGAN's ``netG``: noise (N, nz, 1, 1); U-GAT-IT's and
Photo2Cartoon's ``genA2B``: images (N, 3, S, S) in [-1, 1]; a conditional GAN's
``netG``: noise and label vectors); ``--net genB2A`` another one; ``--net all`` every
generator, each into ``<output_dir>/<net>/``.
"""
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import ppgan_lite  # noqa: E402,F401  (CPU settings before paddle loads)


def parse_args(argv=None):
    from ppgan_lite.deploy.onnx import DEFAULT_OPSET
    from ppgan_lite.utils.errors import argument_parser

    p = argument_parser(prog="tools/export_model.py",
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
                   help="generator to export (default: the model's main one; 'all': every one)")
    p.add_argument("--onnx", action="store_true", help="also write model.onnx (paddle2onnx)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                   help=f"ONNX opset (default {DEFAULT_OPSET}; paddle2onnx raises it if an "
                        f"op needs a newer one)")
    p.add_argument("--atol", type=float, default=1e-4,
                   help="largest |onnx - paddle| accepted by the check (default 1e-4)")
    p.add_argument("--skip-check", "--skip_check", dest="skip_check", action="store_true",
                   help="do not compare the ONNX model with the dynamic one")
    return p.parse_args(argv)


def load_model(config_file, weights, overrides=None):
    """(model with every generator net the weights hold loaded, in eval mode, model name)."""
    from ppgan_lite import register_all
    from ppgan_lite.utils.checkpoint import load_weights, place_weights
    from ppgan_lite.utils.config import load_config
    from ppgan_lite.utils.errors import ConfigError, WeightsNotFoundError
    from ppgan_lite.utils.registry import MODELS, build

    nets = load_weights(weights)  # first: a missing file should not wait for a model build
    register_all()
    cfg = load_config(config_file, overrides)
    if "model" not in cfg:
        raise ConfigError(f"config '{config_file}' has no 'model' section")
    model = build(cfg.model, MODELS, "model")
    if set(nets) == {""}:  # a .pdparams of one net: the main generator's
        nets = {model.generator_spec().net: nets[""]}
    loaded = [spec.net for spec in model.generators if spec.net in nets]
    if not loaded:
        raise WeightsNotFoundError(
            f"'{weights}' has no weights for the generators of {cfg.model['name']} "
            f"({', '.join(s.net for s in model.generators)}; it has "
            f"{', '.join(sorted(nets))}): pass the matching weights")
    for net in loaded:
        place_weights(model.nets[net], nets[net], weights, net)
    model.setup_train_mode(False)
    model.loaded_generators = loaded
    return model, cfg.model["name"]


def export(args):
    """Run the export; yields the lines to print as each step finishes."""
    from ppgan_lite.deploy import ExportError, add_onnx, export_generator
    from ppgan_lite.deploy.onnx import check_onnx_available
    from ppgan_lite.utils.fileio import make_dirs

    if args.onnx:  # before anything is written: the Paddle export needs no paddle2onnx
        check_onnx_available()
    model, model_name = load_model(args.config_file, args.load, args.opt)
    make_dirs(args.output_dir, "--output_dir")
    if args.net == "all":
        targets = [(net, os.path.join(args.output_dir, net)) for net in model.loaded_generators]
    else:
        net = model.generator_spec(args.net).net
        if net not in model.loaded_generators:
            raise ExportError(f"'{args.load}' holds no weights for {net} (it has "
                              f"{', '.join(model.loaded_generators)}): pass --net with one "
                              f"of those")
        targets = [(net, args.output_dir)]
    for net, folder in targets:
        meta, layer, inputs = export_generator(model, folder, net, args.load, model_name)
        described = ", ".join(f"{i['name']} {i['shape']}" for i in meta["inputs"])
        yield (f"exported {model_name}.{net} ({meta['generator']}): inputs {described} -> "
               f"{meta['output_shape']} in {folder}")
        if args.onnx:
            path, diff = add_onnx(layer, inputs, folder, meta, args.opset, args.atol,
                                  check=not args.skip_check)
            checked = ("not checked" if args.skip_check else
                       "not checked (onnxruntime is not installed)" if diff is None else
                       f"max |onnxruntime - dynamic paddle| = {diff:.1e}")
            yield f"wrote {path}: {checked}"


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
