#!/usr/bin/env python
"""Blend two StyleGAN2 W+ latents layer by layer, offline (PaddleGAN's styleganv2mixing).

    python applications/tools/styleganv2mixing.py --latent1 a.npy --latent2 b.npy \
        --weights 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 \
        --model_type ffhq-config-f --output_path out/

Each latent is an .npy W+ code [n_latent, style_dim] (18 x 512 for the 1024 px FFHQ
generator), e.g. written by PaddleGAN's pixel2style2pixel. Layer i of the result is
weights[i] x latent1[i] + (1 - weights[i]) x latent2[i] (default 0.5 everywhere).
Writes ``src1.mixing.png``, ``src2.mixing.png`` and ``dst.mixing.png``. Weights come
from --weight_path or --model_type's file in the cache, as for styleganv2.py.

Exit codes: 0 done; 2 bad input or options (one line, ``error: ...``).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def parse_args(argv=None):
    from ppgan_lite.utils.errors import argument_parser

    p = argument_parser(prog="applications/tools/styleganv2mixing.py",
                        description=__doc__.splitlines()[0])
    p.add_argument("--latent1", required=True, help="first W+ latent (.npy)")
    p.add_argument("--latent2", required=True, help="second W+ latent (.npy)")
    p.add_argument("--weights", type=float, nargs="+", default=None,
                   help="weight of latent1 at each layer (default: 0.5 at every layer)")
    p.add_argument("--output_path", default="output_dir", help="output folder (output_dir)")
    p.add_argument("--weight_path", default=None,
                   help="generator .pdparams or checkpoint (default: --model_type's file)")
    p.add_argument("--model_type", default=None, choices=("ffhq-config-f", "animeface-512"),
                   help="PaddleGAN's released generator, from the cache")
    p.add_argument("--size", type=int, default=None, help="image size (checked)")
    p.add_argument("--style_dim", type=int, default=None, help="latent size (checked)")
    p.add_argument("--n_mlp", type=int, default=None, help="mapping depth (checked)")
    p.add_argument("--channel_multiplier", type=int, default=None,
                   help="width multiplier (checked)")
    p.add_argument("--cpu", action="store_true", help="run on CPU (PaddleGAN's flag)")
    return p.parse_args(argv)


def run(args):
    from ppgan_lite.utils.errors import DataError
    from ppgan_lite.utils.fileio import make_dirs
    from ppgan_lite.utils.runtime import import_paddle_quietly

    for flag, path in (("--latent1", args.latent1), ("--latent2", args.latent2)):
        if not os.path.isfile(path):  # before the generator loads
            raise DataError(f"{flag} '{path}' does not exist: pass an .npy W+ latent")
    make_dirs(args.output_path, "--output_path")
    import_paddle_quietly(cpu=args.cpu)
    from ppgan_lite.apps import StyleGANv2MixingPredictor

    predictor = StyleGANv2MixingPredictor(
        output_path=args.output_path, weight_path=args.weight_path,
        model_type=args.model_type, size=args.size, style_dim=args.style_dim,
        n_mlp=args.n_mlp, channel_multiplier=args.channel_multiplier, backend="dynamic")
    predictor.run(args.latent1, args.latent2, args.weights)
    print(f"wrote src1.mixing.png, src2.mixing.png, dst.mixing.png to {args.output_path}")


def main(argv=None):
    import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
    from ppgan_lite.utils.errors import run_cli

    return run_cli(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
