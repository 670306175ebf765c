#!/usr/bin/env python
"""Photo to cartoon face (Photo2Cartoon), offline: one photo, a folder, or a video.

    python applications/tools/photo2cartoon.py --input_image photo.jpg --output_path out/
    python applications/tools/photo2cartoon.py --input_dir photos/ --output_path out/
    python applications/tools/photo2cartoon.py --video clip.mp4 --output_path out/

One photo writes PaddleGAN's ``p2c_photo.png`` and ``p2c_cartoon.png``; a folder writes
``<name>_photo.png`` and ``<name>_cartoon.png`` per input (``<name>`` keeps the
extension when two inputs share a stem) and goes on past unreadable or face-less files;
a video writes ``<name>_cartoon.mp4``. The generator weights come from --weight_path or
the cache ($PPGAN_LITE_CACHE or ~/.cache/ppgan_lite/photo2cartoon/); so do PaddleGAN's
faceseg weights (--seg_weight_path, or faceseg_FCN-HRNetW18.pdparams in that folder).

Exit codes: 0 done; 1 a folder where some files failed (listed); 2 bad input or
options (one line, ``error: ...``).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

SEG_CHOICES = ("auto", "selfie", "faceseg", "grabcut", "none")
BACKENDS = ("auto", "paddle", "onnxruntime", "dynamic")


class OneLineParser(argparse.ArgumentParser):
    """Bad options are one line and exit code 2, like every other bad input."""

    def error(self, message):
        self.exit(2, f"error: {message} (see --help)\n")


def parse_args(argv=None):
    p = OneLineParser(
        prog="photo2cartoon.py", description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]))
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--input_image", help="a photo with a face")
    source.add_argument("--input_dir", help="a folder of photos")
    source.add_argument("--video", help="a video file (frame by frame, face tracked)")
    p.add_argument("--output_path", default="output", help="output folder (default: output)")
    p.add_argument("--weight_path", default=None,
                   help="genA2B weights: PaddleGAN .pdparams, ppgan_lite .ckpt.npz or an "
                        "exported model folder (default: the cache)")
    p.add_argument("--seg", default="auto", choices=SEG_CHOICES,
                   help="person segmentation (default: auto = faceseg where its weights "
                        "are found, else selfie)")
    p.add_argument("--seg_weight_path", default=None,
                   help="PaddleGAN's faceseg_FCN-HRNetW18.pdparams for --seg faceseg/auto "
                        "(default: the cache's photo2cartoon/ folder)")
    p.add_argument("--output_size", type=int, default=256, help="output side in px (256)")
    p.add_argument("--all_faces", action="store_true",
                   help="cartoonize every face (files suffixed _0, _1, ...)")
    p.add_argument("--backend", default="auto", choices=BACKENDS,
                   help="generator inference backend (default: auto)")
    p.add_argument("--detect_every", type=int, default=10,
                   help="video: search the whole frame every N frames (default 10)")
    p.add_argument("--profile", action="store_true",
                   help="print the time spent in detect / align / segment / generate / write")
    p.add_argument("--cpu", action="store_true", help="run on CPU (PaddleGAN's flag)")
    return p.parse_args(argv)


def main(argv=None):
    import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
    from ppgan_lite.utils.errors import PPGanLiteError
    from ppgan_lite.utils.logger import get_logger
    from ppgan_lite.utils.runtime import import_paddle_quietly

    args = parse_args(argv)
    try:
        check_inputs(args)
        get_logger()  # shows the one-time export notice of a new weights file
        import_paddle_quietly(cpu=args.cpu)
        from ppgan_lite.apps import Photo2CartoonPredictor

        predictor = Photo2CartoonPredictor(
            output_path=args.output_path, weight_path=args.weight_path,
            output_size=args.output_size, all_faces=args.all_faces, seg=args.seg,
            seg_weight_path=args.seg_weight_path, backend=args.backend)
        if args.input_dir:
            return run_folder(predictor, args)
        if args.video:
            return run_video(predictor, args)
        return run_image(predictor, args)
    except PPGanLiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def check_inputs(args):
    """Fail on a wrong path before the models load (seconds saved, same message); a
    folder given as a file, or a file as a folder, names the flag to use instead."""
    from ppgan_lite.apps.base_predictor import open_video
    from ppgan_lite.utils.errors import ConfigError, DataError, ImageReadError
    from ppgan_lite.utils.fileio import make_dirs

    for flag, path in (("--input_image", args.input_image), ("--video", args.video)):
        if path and os.path.isdir(path):
            raise DataError(f"{flag} '{path}' is a folder: use --input_dir for a folder "
                            f"of photos")
    if args.input_image and not os.path.isfile(args.input_image):
        raise ImageReadError(f"cannot read image '{args.input_image}': no such file")
    if args.video:  # missing, a still image, not a video: before the models load
        open_video(args.video).release()
    if args.input_dir and os.path.isfile(args.input_dir):
        raise DataError(f"--input_dir '{args.input_dir}' is a file: use --input_image for "
                        f"one photo (--video for a video)")
    if args.input_dir and not os.path.isdir(args.input_dir):
        raise DataError(f"input folder '{args.input_dir}' does not exist")
    if not 16 <= args.output_size <= 4096:
        raise ConfigError(f"--output_size {args.output_size}: use 16 to 4096")
    make_dirs(args.output_path, "--output_path")


def run_image(predictor, args):
    predictor.run(args.input_image)
    print(f"cartoon written to {os.path.join(args.output_path, 'p2c_cartoon*.png')}"
          if args.all_faces else
          f"cartoon written to {os.path.join(args.output_path, 'p2c_cartoon.png')}")
    if args.profile:
        from ppgan_lite.apps.base_predictor import format_timings

        print(f"time: {format_timings(predictor.timings)}")
    return 0


def output_names(paths):
    """Output name per input: the stem, or stem_ext where stems collide (a.jpg, a.png)."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    names = []
    for path, stem in zip(paths, stems):
        if stems.count(stem) > 1:
            stem = f"{stem}_{os.path.splitext(path)[1].lstrip('.').lower()}"
        names.append(stem)
    return names


def run_folder(predictor, args):
    import numpy as np
    from tqdm import tqdm

    from ppgan_lite.utils.errors import PPGanLiteError
    from ppgan_lite.utils.image_io import require_images

    paths = require_images(args.input_dir)
    failures, stage_times = [], {}
    for path, name in zip(tqdm(paths, desc="photo2cartoon", unit="img"), output_names(paths)):
        try:
            predictor.run(path, name=name)
        except PPGanLiteError as exc:
            failures.append((os.path.basename(path), str(exc)))
            continue
        for stage, seconds in predictor.timings.items():
            stage_times.setdefault(stage, []).append(seconds)
    done = len(paths) - len(failures)
    print(f"{done} of {len(paths)} photos cartoonized into {args.output_path}")
    if args.profile and stage_times:
        from ppgan_lite.apps.base_predictor import format_timings

        medians = {k: float(np.median(v)) for k, v in stage_times.items()}
        print(f"time per photo (median): {format_timings(medians)}")
    from ppgan_lite.utils.errors import report_failures

    return report_failures(failures, len(paths), args.input_dir, "cartoonized")


def run_video(predictor, args):
    from ppgan_lite.apps.video import frame_progress

    with frame_progress("photo2cartoon") as progress:
        summary = predictor.run_video(args.video, detect_every=args.detect_every,
                                      progress=progress)
    missed = summary["frames_without_face"]
    print(f"{summary['frames']} frames written to {summary['output']}"
          + (f" ({missed} without a face repeat the last cartoon)" if missed else ""))
    if args.profile:
        from ppgan_lite.apps.base_predictor import format_timings

        frames = summary["frames"]
        print(f"time per frame (mean): "
              f"{format_timings({k: v / frames for k, v in predictor.timings.items()})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
