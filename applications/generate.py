#!/usr/bin/env python
"""Generate images from a trained generator (DCGAN family, conditional GANs: any model
whose main generator takes noise, as its ``generators`` declaration says).

    python applications/generate.py --weights output_dir/<run>/checkpoints/iter_00000800.ckpt.npz \
        --num 64 --seed 0 --output_dir generated/

Writes ``sample_0000.png`` ... , ``grid.png`` and ``interpolation.gif`` (a spherical walk
through the latent space between ``--interp_points`` random points). A ppgan_lite
checkpoint carries its config; a PaddleGAN ``.pdparams`` needs ``--config``.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def parse_args(argv=None):
    from ppgan_lite.utils.errors import argument_parser

    p = argument_parser(prog="applications/generate.py", description=__doc__.splitlines()[0])
    p.add_argument("--weights", "--weight_path", dest="weights", required=True,
                   help="checkpoint (.ckpt.npz) or generator .pdparams")
    p.add_argument("-c", "--config", default=None,
                   help="config (needed for .pdparams; default: the checkpoint's own)")
    p.add_argument("--num", type=int, default=64, help="number of samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output_dir", default="generated")
    p.add_argument("--nrow", type=int, default=None, help="grid columns (default: square)")
    p.add_argument("--interp_points", type=int, default=4,
                   help="latent points the GIF walks through (0: no GIF)")
    p.add_argument("--interp_steps", type=int, default=16, help="frames between points")
    p.add_argument("--no_individual", action="store_true", help="write only grid and GIF")
    p.add_argument("--labels", default=None,
                   help="conditional models: classes to draw, by index or name, e.g. 3,3,7 "
                        "(default: a grid with one row per class)")
    p.add_argument("--tags", default=None,
                   help="tag-conditioned models: tags every sample carries, e.g. "
                        "'blue hair,red eyes'")
    return p.parse_args(argv)


def slerp(a, b, t):
    """Spherical interpolation: Gaussian latents keep their norm along the path."""
    an, bn = a / np.linalg.norm(a), b / np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(an.ravel(), bn.ravel()), -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def load_model(weights, config_path):
    """The model the weights were trained as, with its generator nets loaded."""
    from ppgan_lite import register_all
    from ppgan_lite.utils import checkpoint as ckpt
    from ppgan_lite.utils.config import load_config, to_attr_dict
    from ppgan_lite.utils.errors import ConfigError
    from ppgan_lite.utils.registry import MODELS, build

    register_all()
    # the file is read once, and first: one that holds no weights says so before
    # anything asks for its config
    if weights.endswith(".npz"):
        state = ckpt.load_state(weights)
        nets = state.get("nets") or {}
    else:
        state, nets = None, ckpt.load_weights(weights)
    if config_path:
        cfg = load_config(config_path)
    elif state is not None and state.get("config"):
        cfg = to_attr_dict(state["config"])
    else:
        raise ConfigError(f"'{weights}' carries no config: pass the one it was trained "
                          f"with, e.g. --config configs/dcgan_lfw.yaml")
    model = build(cfg.model, MODELS, "model")
    main_net = model.generator_spec().net
    if set(nets) == {""}:  # a .pdparams of one net: the main generator's
        nets = {main_net: nets[""]}
    if main_net not in nets:
        raise ConfigError(f"'{weights}' has no '{main_net}' weights (it has "
                          f"{', '.join(nets) or 'none'})")
    for spec in model.generators:
        if spec.net in nets:
            ckpt.place_weights(model.nets[spec.net], nets[spec.net], weights, spec.net)
    model.class_names = list((state or {}).get("classes") or [])
    return model


def parse_condition(model, spec, args):
    """--labels / --tags -> {'labels': class indices or tag vectors}, or {}."""
    from ppgan_lite.utils.errors import ConfigError

    labels_input = spec.input("labels")
    if labels_input is None:
        if args.labels or args.tags:
            raise ConfigError(f"--labels/--tags need a conditional model; "
                              f"{type(model).__name__} takes {spec.description or 'noise'}")
        return {}
    num_classes = labels_input.shape[0]
    names = list(getattr(model, "class_names", []) or [])
    if args.tags:
        vec = np.zeros((args.num, num_classes), np.float32)
        for tag in (t.strip() for t in args.tags.split(",") if t.strip()):
            if tag not in names:
                raise ConfigError(f"unknown tag '{tag}'; this model knows: {', '.join(names)}")
            vec[:, names.index(tag)] = 1.0
        return {"labels": vec}
    if args.labels:
        out = []
        for item in (x.strip() for x in args.labels.split(",") if x.strip()):
            if item.isdigit() and int(item) < num_classes:
                out.append(int(item))
            elif item in names:
                out.append(names.index(item))
            else:
                known = ", ".join(names) or f"0..{num_classes - 1}"
                raise ConfigError(f"unknown label '{item}'; use one of: {known}")
        return {"labels": np.asarray(out, dtype="int64")}
    return {}


def main(argv=None):
    import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
    from ppgan_lite.utils.errors import run_cli

    from ppgan_lite.utils.runtime import import_paddle_quietly

    args = parse_args(argv)
    import_paddle_quietly()
    return run_cli(run, args)


def check_numbers(args):
    """Counts out of range are one line here, not a ZeroDivisionError or a numpy error
    deep in make_grid or the RNG."""
    from ppgan_lite.utils.errors import ConfigError

    lowest = {"--num": (args.num, 1), "--nrow": (args.nrow, 1),
              "--interp_steps": (args.interp_steps, 1), "--seed": (args.seed, 0)}
    for flag, (value, low) in lowest.items():
        if value is not None and value < low:
            raise ConfigError(f"{flag} {value}: use {low} or more")
    if args.seed >= 2 ** 32:  # numpy's RandomState takes 32-bit seeds
        raise ConfigError(f"--seed {args.seed}: use 0 to {2 ** 32 - 1}")
    if args.interp_points == 1 or args.interp_points < 0:
        raise ConfigError(f"--interp_points {args.interp_points}: use 0 (no GIF) or 2 or "
                          f"more (a walk needs two points)")


def walk(model, spec, inputs, args):
    """Frames of a closed spherical walk through the noise inputs between
    ``--interp_points`` draws of 8 samples; the other inputs (a label) stay those of
    the first sample."""
    from ppgan_lite.utils.visual import make_grid, tensor_to_images

    kinds = {i.name: i.kind for i in spec.inputs}
    fixed = {k: np.repeat(v[:1], 8, axis=0) for k, v in inputs.items() if kinds[k] != "noise"}
    points = [model.sample_inputs(8, args.seed + 1 + k, **fixed)
              for k in range(args.interp_points)]
    frames = []
    for a, b in zip(points, points[1:] + points[:1]):
        for t in np.linspace(0, 1, args.interp_steps, endpoint=False):
            step = {k: (np.stack([slerp(a[k][j], b[k][j], t) for j in range(8)])
                        if kinds[k] == "noise" else a[k]).astype("float32") for k in a}
            frames.append(make_grid(tensor_to_images(model.generate(step)), nrow=8))
    return frames


def run(args):
    from ppgan_lite.utils.errors import ConfigError
    from ppgan_lite.utils.fileio import make_dirs
    from ppgan_lite.utils.image_io import write_image
    from ppgan_lite.utils.visual import make_grid, save_gif, tensor_to_images

    check_numbers(args)
    model = load_model(args.weights, args.config)
    spec = model.generator_spec()
    if spec.takes_images:
        raise ConfigError(f"{type(model).__name__} translates images ({spec.description}), "
                          f"it does not generate from noise: use "
                          f"applications/tools/translate.py (pix2pix, CycleGAN) or "
                          f"applications/tools/photo2cartoon.py")
    make_dirs(args.output_dir, "--output_dir")
    condition = parse_condition(model, spec, args)
    num, labels = args.num, spec.input("labels")
    if labels is not None and not condition:  # the model's class grid: a row per class
        num = (args.nrow or 8) * labels.shape[0]
    inputs = model.sample_inputs(num, args.seed, **condition)
    images = tensor_to_images(model.generate(inputs))
    nrow = args.nrow or (None if condition else model.sample_nrow(num))
    if not args.no_individual:
        for i, im in enumerate(images):
            write_image(os.path.join(args.output_dir, f"sample_{i:04d}.png"), im)
    write_image(os.path.join(args.output_dir, "grid.png"), make_grid(images, nrow=nrow))
    written = [f"{len(images)} samples", "grid.png"]
    if args.interp_points >= 2:
        save_gif(walk(model, spec, inputs, args),
                 os.path.join(args.output_dir, "interpolation.gif"), duration_ms=80)
        written.append("interpolation.gif")
    print(f"wrote {', '.join(written)} to {args.output_dir}")


if __name__ == "__main__":
    sys.exit(main())
