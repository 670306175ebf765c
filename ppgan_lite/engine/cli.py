"""`tools/main.py`: train or evaluate from a config, PaddleGAN's flags."""
import json
import os
import shutil
import time


def parse_args(argv=None):
    from ..utils.errors import argument_parser

    p = argument_parser(
        prog="tools/main.py",
        description="Train or evaluate a ppgan_lite model from a YAML config.")
    p.add_argument("-c", "--config-file", "--config_file", dest="config_file", required=True,
                   help="YAML config, e.g. configs/dcgan_lfw.yaml")
    p.add_argument("-o", "--opt", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="override config keys, e.g. -o total_iters=100 "
                        "dataset.train.batch_size=16 (values typed as YAML; -o may repeat)")
    p.add_argument("--resume", default=None, help="checkpoint to continue from exactly")
    p.add_argument("--load", default=None,
                   help="weights to start from (checkpoint or PaddleGAN .pdparams)")
    p.add_argument("--evaluate-only", "--evaluate_only", dest="evaluate_only",
                   action="store_true", help="run validation metrics only")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: config or 0)")
    p.add_argument("--amp", action="store_true", help="mixed precision (GPU only)")
    p.add_argument("--amp_level", default="O1", choices=["O1", "O2"])
    p.add_argument("--output-dir", "--output_dir", dest="output_dir", default=None,
                   help="run directory (default: <output_dir>/<config name>-<time>)")
    return p.parse_args(argv)


def choose_run_dir(cfg, args):
    if args.output_dir:
        return args.output_dir
    if args.resume:  # continue in the run that wrote <run>/checkpoints/iter_N.ckpt.npz
        folder = os.path.dirname(os.path.abspath(args.resume))
        if os.path.basename(folder) == "checkpoints":
            return os.path.dirname(folder)
        # a checkpoint kept elsewhere (~/Downloads): a new run folder, not its parent
    stem = os.path.splitext(os.path.basename(args.config_file))[0]
    stamp = time.strftime("%Y-%m-%d-%H-%M-%S")
    return os.path.join(cfg.get("output_dir", "output_dir"), f"{stem}-{stamp}")


def main(argv=None):
    import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
    from ..utils.errors import run_cli
    from ..utils.runtime import import_paddle_quietly

    args = parse_args(argv)
    import_paddle_quietly()
    return run_cli(run, args)


def _check_evaluation(cfg, args):
    from ..utils.errors import ConfigError

    if not (args.load or args.resume):
        raise ConfigError("--evaluate-only scores trained weights: pass --load <checkpoint "
                          "or PaddleGAN .pdparams>")
    if not (cfg.get("validate") or {}).get("metrics"):
        raise ConfigError(f"{args.config_file} has no validate.metrics to compute: add a "
                          f"validate.metrics section (configs/dcgan_lfw.yaml has one)")


def run(args):
    from .. import register_all
    from ..utils.config import load_config, validate_config
    from .trainer import Trainer

    register_all()
    cfg = load_config(args.config_file, args.opt)
    if args.amp:
        cfg["amp"], cfg["amp_level"] = True, args.amp_level
    validate_config(cfg, require_train_data=not args.evaluate_only)
    if args.evaluate_only:
        _check_evaluation(cfg, args)
    run_dir = choose_run_dir(cfg, args)
    fresh = not os.path.exists(run_dir)
    try:
        trainer = Trainer(cfg, run_dir, resume=args.resume, load=args.load, seed=args.seed,
                          amp=bool(cfg.get("amp")), evaluate_only=args.evaluate_only)
    except BaseException:
        if fresh:  # a run that never started leaves no empty folder behind
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    if args.evaluate_only:
        results = trainer.validate()
        summary = {"config": args.config_file, "weights": args.load or args.resume,
                   "metrics": results}
        path = os.path.join(run_dir, "evaluation.json")
        with open(path, "w") as f:
            json.dump(summary, f, indent=2)
        trainer.logger.info(f"wrote {path}")
        print(json.dumps(summary))
    else:
        trainer.train()
        print(f"outputs in {run_dir}")
