#!/usr/bin/env python
"""Image-to-image translation with a trained pix2pix or CycleGAN: a photo, a folder or a video.

    python applications/tools/translate.py --weight_path run/checkpoints/iter_00010000.ckpt.npz \
        --input_image photo.jpg --output_path out/
    python applications/tools/translate.py --weight_path netG.pdparams -c configs/pix2pix_facades.yaml \
        --input_dir photos/ --output_path out/
    python applications/tools/translate.py --weight_path cyclegan.ckpt.npz --direction b2a \
        --video clip.mp4 --output_path out/

Each input is translated at the size the model was trained at (or --size) and
written at its own size under its own file name into --output_path, with
``preview.png`` (input | output, a row per input, the first 8). A video becomes
``<name>_translated.mp4``. A ppgan_lite checkpoint carries its config; a PaddleGAN
.pdparams needs -c. --direction picks CycleGAN's netG_A (a2b) or netG_B (b2a).

Exit codes: 0 done; 1 a folder where some files failed (listed); 2 bad input or
options (one line, ``error: ...``).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

BACKENDS = ("auto", "paddle", "onnxruntime", "dynamic")
PREVIEW = "preview.png"
PREVIEW_ROWS = 8


def parse_args(argv=None):
    import argparse

    from ppgan_lite.utils.errors import argument_parser

    p = argument_parser(prog="translate.py", description=__doc__.splitlines()[0],
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="\n".join(__doc__.splitlines()[1:]))
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--input_image", help="an image")
    source.add_argument("--input_dir", help="a folder of images")
    source.add_argument("--video", help="a video file (frame by frame)")
    p.add_argument("--weight_path", required=True,
                   help="a ppgan_lite checkpoint (.ckpt.npz), a PaddleGAN .pdparams (with "
                        "-c) or a folder tools/export_model.py wrote")
    p.add_argument("-c", "--config", default=None,
                   help="the config the weights were trained with (needed for .pdparams)")
    p.add_argument("--output_path", default="output", help="output folder (default: output)")
    p.add_argument("--direction", default=None, choices=("a2b", "b2a"),
                   help="CycleGAN: a2b (netG_A) or b2a (netG_B); default: the config's")
    p.add_argument("--backend", default="auto", choices=BACKENDS,
                   help="inference backend (default: auto)")
    p.add_argument("--size", type=int, default=None,
                   help="side the net runs at (default: the training size)")
    return p.parse_args(argv)


def main(argv=None):
    import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
    from ppgan_lite.utils.errors import run_cli
    from ppgan_lite.utils.runtime import import_paddle_quietly

    args = parse_args(argv)
    try:
        code = run_cli(check_inputs, args)
        if code:
            return code
        import_paddle_quietly()
        return run_cli(run, args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def check_inputs(args):
    """A wrong path fails before the model loads; a folder given as a file, or a file
    as a folder, names the flag to use instead."""
    from ppgan_lite.apps.base_predictor import open_video
    from ppgan_lite.apps.translation import MAX_PIXELS
    from ppgan_lite.utils.image_io import read_image
    from ppgan_lite.utils.errors import DataError, ImageReadError, WeightsNotFoundError
    from ppgan_lite.utils.fileio import make_dirs

    if not os.path.exists(os.path.expanduser(args.weight_path)):
        raise WeightsNotFoundError(f"--weight_path '{args.weight_path}' does not exist")
    for flag, path in (("--input_image", args.input_image), ("--video", args.video)):
        if path and os.path.isdir(path):
            raise DataError(f"{flag} '{path}' is a folder: use --input_dir for a folder "
                            f"of images")
    if args.input_image and not os.path.isfile(args.input_image):
        raise ImageReadError(f"cannot read image '{args.input_image}': no such file")
    if args.input_image:  # not an image: said before the model loads (or exports)
        read_image(args.input_image, max_pixels=MAX_PIXELS)
    if args.video:
        open_video(args.video).release()
    if args.input_dir and os.path.isfile(args.input_dir):
        raise DataError(f"--input_dir '{args.input_dir}' is a file: use --input_image "
                        f"for one image")
    if args.input_dir and not os.path.isdir(args.input_dir):
        raise DataError(f"input folder '{args.input_dir}' does not exist")
    make_dirs(args.output_path, "--output_path")


def run(args):
    from ppgan_lite.apps import TranslationPredictor

    predictor = TranslationPredictor(
        weight_path=args.weight_path, config=args.config, direction=args.direction,
        backend=args.backend, size=args.size, output_path=args.output_path)
    if args.video:
        return run_video(predictor, args)
    if args.input_dir:
        return run_folder(predictor, args)
    rgb, out = predictor.run_pair(args.input_image)
    preview = write_preview(args.output_path, [(rgb, out)],
                            [os.path.basename(args.input_image)])
    print(f"{predictor.net_name} translation written to "
          f"{os.path.join(args.output_path, os.path.basename(args.input_image))} "
          f"(preview: {preview})")
    return 0


def write_preview(folder, pairs, names):
    """``preview.png`` beside the outputs (another name where an input is called so)."""
    from ppgan_lite.apps.translation import side_by_side
    from ppgan_lite.utils.image_io import write_image

    name = PREVIEW if PREVIEW not in names else "translate_preview.png"
    return write_image(os.path.join(folder, name), side_by_side(pairs))


def run_folder(predictor, args):
    from tqdm import tqdm

    summary = predictor.run_folder(
        args.input_dir, progress=lambda paths: tqdm(paths, desc="translate", unit="img"),
        preview=PREVIEW_ROWS)
    paths, failed = summary["paths"], summary["failed"]
    done = len(paths) - len(failed)
    if summary["preview"]:
        write_preview(args.output_path, summary["preview"],
                      [os.path.basename(p) for p in paths])
    print(f"{done} of {len(paths)} images translated by {predictor.net_name} into "
          f"{args.output_path}")
    from ppgan_lite.utils.errors import report_failures

    return report_failures(failed, len(paths), args.input_dir, "translated")


def run_video(predictor, args):
    from ppgan_lite.apps.video import frame_progress

    with frame_progress("translate") as progress:
        summary = predictor.run_video(args.video, progress=progress)
    print(f"{summary['frames']} frames written to {summary['output']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
