#!/usr/bin/env python
"""Prepare training data. The demo sets are built offline, in seconds, from images
that ship with installed packages; the public data sets are described in
data/README.md (nothing is downloaded here).

    python tools/prepare_data.py --demo           [--out data/photo2cartoon_demo] [--size 128]
    python tools/prepare_data.py --pix2pix-demo   [--out data/pix2pix_demo] [--size 64]
    python tools/prepare_data.py --cyclegan-demo  [--out data/cyclegan_demo] [--size 64]
    python tools/prepare_data.py --p2c-pairs --input_dir PHOTOS --weight_path GENA2B --out DIR

--demo: photo2cartoon's unpaired photos/cartoons (ppgan_lite/datasets/p2c_demo.py).
--pix2pix-demo / --cyclegan-demo: crops of package photos whose B is a known function
of A, for PSNR/SSIM against the exact answer (ppgan_lite/datasets/demo_sets.py).
--p2c-pairs: runs the photo2cartoon predictor over a folder of photos and writes
PaddleGAN-layout pairs (the aligned photo on white | its cartoon) into --out, e.g.
to distil a trained photo2cartoon model into a pix2pix one.
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import ppgan_lite  # noqa: E402,F401  (CPU settings before paddle loads)
from ppgan_lite.datasets import demo_sets  # noqa: E402
from ppgan_lite.datasets.p2c_demo import DEFAULT_OUT, SPLITS, build_demo  # noqa: E402,F401
from ppgan_lite.utils.errors import (DataError, FaceNotFoundError,  # noqa: E402
                                     ImageReadError, argument_parser, run_cli)
from ppgan_lite.utils.image_io import list_images, write_image  # noqa: E402

MODES = {  # flag: (default --out, default --size)
    "demo": (DEFAULT_OUT, 128),
    "pix2pix_demo": (os.path.join("data", "pix2pix_demo"), 64),
    "cyclegan_demo": (os.path.join("data", "cyclegan_demo"), 64),
    "p2c_pairs": (None, 256),
}
P2C_PAIRS_KIND = "p2c-pairs"


def build_p2c_pairs(input_dir, weight_path, out, size=256, backend="auto", seg="auto",
                    log=print):
    """Write ``out/<photo stem>.png`` = aligned photo on white | its cartoon, both
    ``size`` px, for every photo of ``input_dir`` with a face; returns
    ``{'written': n, 'skipped': {relative path: reason}}``. Photos without a usable
    face or that cannot be read are skipped and counted; none written is a DataError."""
    start = time.time()
    if not os.path.isdir(input_dir):
        raise DataError(f"--input_dir '{input_dir}' is not a folder: pass a folder of photos")
    photos = list_images(input_dir)
    if not photos:
        raise DataError(f"--input_dir '{input_dir}' has no image files")
    demo_sets.prepare_out_dir(out, P2C_PAIRS_KIND, folders=())  # refused before any work
    from ppgan_lite.apps import Photo2CartoonPredictor
    from ppgan_lite.faceutils import composite_on_white

    predictor = Photo2CartoonPredictor(output_path=None, weight_path=weight_path,
                                       output_size=size, backend=backend, seg=seg)
    _clear_earlier_pairs(out)
    files, skipped, why = {}, {}, {"no face": 0, "unreadable": 0}
    for path in photos:
        relative = os.path.relpath(path, input_dir)
        try:
            predictor.run(path)
        except (FaceNotFoundError, ImageReadError) as e:
            kind = "no face" if isinstance(e, FaceNotFoundError) else "unreadable"
            why[kind] += 1
            skipped[relative] = f"{kind}: {e}"
            continue
        result = predictor.results[0]
        pair = np.hstack([composite_on_white(result.photo, result.mask), result.cartoon])
        name = _pair_name(relative, files)
        write_image(os.path.join(out, name), pair)
        files[name] = {"source": relative}
    demo_sets.write_manifest(out, {"kind": P2C_PAIRS_KIND, "size": predictor.output_size,
                                   "weight_path": str(weight_path), "files": files,
                                   "skipped": skipped})
    reasons = ", ".join(f"{n} {'without a face' if k == 'no face' else k}"
                        for k, n in why.items() if n)
    summary = (f"p2c pairs in {out}: {len(files)} written, {len(skipped)} skipped"
               + (f" ({reasons})" if reasons else "") + f" [{time.time() - start:.1f} s]")
    if not files:
        raise DataError(f"{summary}; no photo of '{input_dir}' gave a pair: use photos "
                        f"with a visible frontal face")
    log(summary)
    return {"written": len(files), "skipped": skipped}


def _clear_earlier_pairs(out):
    """Make ``out`` and remove the pairs an earlier --p2c-pairs run wrote there, so
    they are replaced, not mixed with the new ones."""
    os.makedirs(out, exist_ok=True)
    if os.path.isfile(os.path.join(out, demo_sets.MANIFEST)):
        for name in demo_sets.read_manifest(out).get("files", {}):
            if os.path.isfile(os.path.join(out, name)):
                os.remove(os.path.join(out, name))


def _pair_name(relative, taken):
    """``a/b.jpg`` -> ``a_b.png``; ``a_b_jpg.png`` if a photo of another format took it."""
    stem, ext = os.path.splitext(relative.replace(os.sep, "_"))
    name = f"{stem}.png"
    return name if name not in taken else f"{stem}_{ext.lstrip('.').lower()}.png"


def parse_args(argv=None):
    p = argument_parser(
        prog="tools/prepare_data.py",
        description="Prepare training data. See data/README.md for the public data sets.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--demo", action="store_true",
                      help="build the offline photo2cartoon demo set from package images")
    mode.add_argument("--pix2pix-demo", dest="pix2pix_demo", action="store_true",
                      help="build the offline pix2pix demo set (train/ test/ of A|B pairs, "
                           "B = ink_remap(A))")
    mode.add_argument("--cyclegan-demo", dest="cyclegan_demo", action="store_true",
                      help="build the offline CycleGAN demo set (trainA/ trainB/ testA/ "
                           "testB/, B = blue_tone(A))")
    mode.add_argument("--p2c-pairs", dest="p2c_pairs", action="store_true",
                      help="photo | cartoon pairs of the photos in --input_dir, made by the "
                           "photo2cartoon generator --weight_path, into --out")
    p.add_argument("--out", default=None,
                   help="output folder (default: data/photo2cartoon_demo, data/pix2pix_demo "
                        "or data/cyclegan_demo; --p2c-pairs needs one)")
    p.add_argument("--size", type=int, default=None,
                   help="image side in px (default 128 for --demo, 64 for the pix2pix and "
                        "CycleGAN demos, 256 for --p2c-pairs)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the demos (default 0)")
    p.add_argument("--input_dir", help="--p2c-pairs: a folder of photos")
    p.add_argument("--weight_path", help="--p2c-pairs: photo2cartoon genA2B weights (a "
                                         "PaddleGAN .pdparams, a checkpoint or an export)")
    p.add_argument("--backend", default="auto",
                   help="--p2c-pairs: inference backend (auto, paddle, onnxruntime, dynamic)")
    p.add_argument("--seg", default="auto",
                   help="--p2c-pairs: person segmentation (auto, selfie, faceseg, grabcut, none)")
    return p, p.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    mode = next((m for m in MODES if getattr(args, m)), None)
    if mode is None:
        print("error: nothing to do: pass --demo, --pix2pix-demo, --cyclegan-demo or "
              "--p2c-pairs; the public data sets are described in data/README.md",
              file=sys.stderr)
        return 2
    default_out, default_size = MODES[mode]
    out = args.out or default_out
    size = default_size if args.size is None else args.size
    if mode == "p2c_pairs":
        missing = [f"--{name}" for name in ("input_dir", "weight_path", "out")
                   if not getattr(args, name)]
        if missing:
            parser.error(f"--p2c-pairs needs {' and '.join(missing)}")

    def work():  # each prints its own summary
        if mode == "demo":
            build_demo(out, size=size, seed=args.seed)
        elif mode == "pix2pix_demo":
            demo_sets.build_paired_demo(out, size=size, seed=args.seed)
        elif mode == "cyclegan_demo":
            demo_sets.build_unpaired_demo(out, size=size, seed=args.seed)
        else:
            build_p2c_pairs(args.input_dir, args.weight_path, out, size=size,
                            backend=args.backend, seg=args.seg)

    return run_cli(work)


if __name__ == "__main__":
    sys.exit(main())
