#!/usr/bin/env python
"""Generate faces (or anime faces) with a StyleGAN2 generator, offline.

    python applications/tools/styleganv2.py --model_type ffhq-config-f --seed 1 --output_path out/
    python applications/tools/styleganv2.py --weight_path output_dir/<run>/checkpoints/<iter>.ckpt.npz

Writes PaddleGAN's ``sample.png`` (an n_row x n_col grid) and ``sample_mixing_0.png``,
``sample_mixing_1.png`` (style mixing: targets down the side, sources along the top),
and ``interpolation.gif`` (a walk through the latent space). --model_type looks for
PaddleGAN's file (stylegan2-ffhq-config-f.pdparams, stylegan2-animeface-512.pdparams) in
$PPGAN_LITE_CACHE/styleganv2/ (default ~/.cache/ppgan_lite/styleganv2/); --weight_path
takes such a file, a PaddleGAN training checkpoint or a ppgan_lite checkpoint.
--size / --style_dim / --n_mlp / --channel_multiplier are read off the weights (given,
they are checked).

Exit codes: 0 done; 2 bad input or options (one line, ``error: ...``).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

BACKENDS = ("auto", "onnxruntime", "paddle", "dynamic")


def parse_args(argv=None):
    from ppgan_lite.utils.errors import argument_parser

    p = argument_parser(prog="applications/tools/styleganv2.py",
                        description=__doc__.splitlines()[0])
    p.add_argument("--output_path", default="output_dir", help="output folder (output_dir)")
    p.add_argument("--weight_path", default=None,
                   help="generator .pdparams or checkpoint (default: --model_type's file)")
    p.add_argument("--model_type", default=None, choices=("ffhq-config-f", "animeface-512"),
                   help="PaddleGAN's released generator, from the cache")
    p.add_argument("--seed", type=int, default=None, help="latent seed (default: random)")
    p.add_argument("--size", type=int, default=None, help="image size (checked)")
    p.add_argument("--style_dim", type=int, default=None, help="latent size (checked)")
    p.add_argument("--n_mlp", type=int, default=None, help="mapping depth (checked)")
    p.add_argument("--channel_multiplier", type=int, default=None,
                   help="width multiplier (checked)")
    p.add_argument("--n_row", type=int, default=3, help="rows of the sample grid (3)")
    p.add_argument("--n_col", type=int, default=5, help="columns of the sample grid (5)")
    p.add_argument("--truncation", type=float, default=0.7,
                   help="pull towards the mean face, 1 = none (PaddleGAN: 0.7)")
    p.add_argument("--interp_points", type=int, default=3,
                   help="latents the GIF walks through (0: no GIF)")
    p.add_argument("--interp_steps", type=int, default=8, help="GIF frames between points")
    p.add_argument("--backend", default="auto", choices=BACKENDS,
                   help="generator inference backend (default: auto)")
    p.add_argument("--profile", action="store_true", help="print the time of each stage")
    p.add_argument("--cpu", action="store_true", help="run on CPU (PaddleGAN's flag)")
    return p.parse_args(argv)


def check_numbers(args):
    from ppgan_lite.utils.errors import ConfigError

    for flag, value in (("--n_row", args.n_row), ("--n_col", args.n_col),
                        ("--interp_steps", args.interp_steps)):
        if value < 1:
            raise ConfigError(f"{flag} {value}: use 1 or more")
    if args.interp_points == 1 or args.interp_points < 0:
        raise ConfigError(f"--interp_points {args.interp_points}: use 0 (no GIF) or 2 or more")
    if args.seed is not None and not 0 <= args.seed < 2 ** 32:
        raise ConfigError(f"--seed {args.seed}: use 0 to {2 ** 32 - 1}")


def run(args):
    from ppgan_lite.utils.fileio import make_dirs
    from ppgan_lite.utils.logger import get_logger
    from ppgan_lite.utils.runtime import import_paddle_quietly

    check_numbers(args)
    make_dirs(args.output_path, "--output_path")
    get_logger()  # shows the one-time export notice of a new weights file
    import_paddle_quietly(cpu=args.cpu)
    from ppgan_lite.apps import StyleGANv2Predictor

    predictor = StyleGANv2Predictor(
        output_path=args.output_path, weight_path=args.weight_path,
        model_type=args.model_type, seed=args.seed, size=args.size, style_dim=args.style_dim,
        n_mlp=args.n_mlp, channel_multiplier=args.channel_multiplier,
        truncation=args.truncation, backend=args.backend, profile=args.profile)
    written = predictor.run(args.n_row, args.n_col, args.interp_points, args.interp_steps)
    print(f"wrote {', '.join(written)} to {args.output_path}")


def main(argv=None):
    import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
    from ppgan_lite.utils.errors import run_cli

    return run_cli(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
