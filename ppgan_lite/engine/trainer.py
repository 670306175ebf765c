"""The training loop: iterations, LR steps, logs, pictures, checkpoints, validation
and signals. Nothing model-specific lives here; models follow BaseModel's contract."""
import os
import signal
import time

import paddle
from tqdm import tqdm

from ..datasets.builder import build_dataloader
from ..solver import build_lr_schedulers
from ..utils import checkpoint as ckpt
from ..utils import runtime
from ..utils.config import dump_config, to_plain
from ..utils.errors import ConfigError, TrainingDivergedError
from ..utils.fileio import make_dirs
from ..utils.logger import (JsonlWriter, Timer, VisualDLWriter, format_eta, get_logger, now,
                            to_run_file)
from ..utils.registry import METRICS, MODELS, build
from ..utils.settings import RunSettings
from . import distributed as dist_utils
from .checks import check_amp_available, check_data_fits
from .pictures import RunPictures, flatten_metrics
from .state import (describe_nan, learning_rates, model_state, optimizer_state, place_nets,
                    restore_training_state, seed_everything)


class Trainer:
    """Builds what a config describes, in order, then runs it:

    ``_setup_process`` (ranks, logger, seed, AMP check) -> ``_build_data`` (a missing
    data folder fails before the model is built) -> ``_build_model`` ->
    ``_build_optimizers`` (one lr schedule per optimizer group) ->
    ``_setup_distributed`` -> ``_restore`` (--resume / --load) -> ``_open_outputs``.
    """

    def __init__(self, cfg, run_dir, resume=None, load=None, seed=None, amp=False,
                 evaluate_only=False):
        self.cfg, self.run_dir, self.evaluate_only = cfg, run_dir, evaluate_only
        self.settings = RunSettings.from_config(cfg, seed)
        self.seed = self.settings.seed
        self.amp, self.amp_level = amp, self.settings.amp_level
        self._setup_process()
        self._build_data()
        self._build_model()
        self._build_optimizers()
        self._setup_distributed()
        self.current_iter = 0
        self.ckpt_dir = os.path.join(run_dir, "checkpoints")
        self.last_checkpoint = None
        self._restore(resume, load)
        self._open_outputs()

    # ------------------------------------------------------------ setup
    def _setup_process(self):
        self.rank, self.world_size = dist_utils.setup()
        self.is_main = self.rank == 0
        if self.is_main:
            make_dirs(self.run_dir, "run folder")
        self.logger = get_logger(output_dir=self.run_dir if self.is_main else None)
        if not self.is_main:
            self.logger.setLevel("WARNING")
        if self.amp:
            check_amp_available()
        seed_everything(self.seed)
        self.logger.info(f"CPU settings: {runtime.describe()['settings']}")

    def _build_data(self):
        cfg = self.cfg
        self.train_loader = None
        if not self.evaluate_only:
            self.train_loader = build_dataloader(cfg.dataset.train, is_train=True,
                                                 seed=self.seed,
                                                 distributed=self.world_size > 1)
        test_cfg = (cfg.get("dataset") or {}).get("test")
        needs_test = self.evaluate_only or self.settings.validate_interval > 0
        self.test_loader = (build_dataloader(test_cfg, is_train=False, seed=self.seed)
                            if test_cfg and needs_test else None)
        self.iters_per_epoch = len(self.train_loader) if self.train_loader else 1
        if cfg.get("total_iters"):
            self.total_iters, self.by_epoch = int(cfg.total_iters), False
            if cfg.get("epochs") and not self.evaluate_only:  # -o total_iters=20 on an epochs config
                self.logger.info(f"total_iters {self.total_iters} sets the length; epochs "
                                 f"{cfg.epochs} is not used (set one of the two)")
        else:
            self.total_iters = int(cfg.get("epochs", 1)) * self.iters_per_epoch
            self.by_epoch = True
        self.snapshot_interval = self.settings.snapshot_iters(self.by_epoch,
                                                              self.iters_per_epoch)

    def _build_model(self):
        self.model = build(self.cfg.model, MODELS, "model")
        for loader, where in ((self.train_loader, "dataset.train"),
                              (self.test_loader, "dataset.test")):
            if loader is not None:
                check_data_fits(self.model, loader.dataset, where)
        val = self.cfg.get("validate") or {}
        self.metrics = {name: build({"name": name, **(mcfg or {})}, METRICS,
                                    f"validate.metrics.{name}")
                        for name, mcfg in (val.get("metrics") or {}).items()}

    def _build_optimizers(self):
        self.lr_schedulers, self.optimizers = {}, {}
        if self.evaluate_only:
            return
        multipliers = self.model.learning_rate_multipliers()
        self.lr_schedulers = build_lr_schedulers(self.cfg, self.iters_per_epoch,
                                                 self.total_iters, multipliers)
        for group, factor in multipliers.items():
            self.logger.info(f"optimizer.{group}: learning rate x{factor:.4g} "
                             f"({type(self.model).__name__})")
        self.optimizers = self.model.setup_optimizers(self.lr_schedulers,
                                                      self.cfg.get("optimizer"))
        if self.amp and self.optimizers:
            self._setup_amp()

    def _setup_distributed(self):
        if self.world_size == 1:
            return
        dist_utils.broadcast_nets(self.model.nets)
        for group, opt in list(self.optimizers.items()):
            self.optimizers[group] = dist_utils.GradientAveragingOptimizer(opt, self.world_size)
        self.model.optimizers = self.optimizers
        paddle.seed(self.seed + 1000003 * self.rank)  # each rank its own noise
        batch = int((self.cfg.dataset.train or {}).get("batch_size", 1))
        self.logger.info(f"{self.world_size} processes, batch {batch} per process: "
                         f"effective batch {batch * self.world_size}")

    def _restore(self, resume, load):
        if resume:
            self.resume(resume)
        elif load:
            self.load(load)

    def _open_outputs(self):
        if self.is_main:
            dump_config(self.cfg, os.path.join(self.run_dir, "config.yaml"))
        self.jsonl = JsonlWriter(os.path.join(self.run_dir, "log.jsonl"), enabled=self.is_main)
        self.vdl = VisualDLWriter(os.path.join(self.run_dir, "visualdl"),
                                  enabled=self.is_main and self.cfg.get("enable_visualdl", True))
        self._stop_signal = None
        self._fixed_batch = None
        self.pictures = RunPictures(self.run_dir, self.model, self.settings.sample_grid,
                                    self.seed)

    def _setup_amp(self):
        """One GradScaler per optimizer group (G and D losses differ by orders of
        magnitude); O2 also keeps fp16 weights with fp32 master copies."""
        if self.amp_level == "O2":
            nets = list(self.model.nets.values())
            paddle.amp.decorate(models=nets, optimizers=list(self.optimizers.values()),
                                level="O2", master_weight=True)
        self.model.scalers = {g: paddle.amp.GradScaler(init_loss_scaling=2.0 ** 15)
                              for g in self.optimizers}
        self.logger.info(f"mixed precision {self.amp_level}, loss scaling per optimizer group")

    # ------------------------------------------------------------ checkpoints
    def state_dict(self):
        return {
            "nets": model_state(self.model),
            "optimizers": optimizer_state(self.model, self.optimizers),
            "lr_schedulers": {g: sched.state_dict() for g, sched in self.lr_schedulers.items()},
            "model_state": self.model.extra_state(),
            "scalers": {g: dict(sc.state_dict()) for g, sc in self.model.scalers.items()},
            "iter": self.current_iter,
            "epoch": self.current_iter // self.iters_per_epoch,
            "iters_per_epoch": self.iters_per_epoch,
            "seed": self.seed,
            # class / tag names, so generation can be asked for "blue hair" by name
            "classes": list(getattr(self.train_loader.dataset, "classes", None) or []),
            "rng": ckpt.capture_rng_state(),
            "config": to_plain(self.cfg),
        }

    def save_checkpoint(self):
        """All ranks take part (RNG states and BatchNorm statistics are gathered);
        rank 0 writes."""
        state = self.state_dict()
        if self.world_size > 1:
            dist_utils.broadcast_nets(self.model.nets)  # rank 0's BN statistics
            state["nets"] = model_state(self.model)
            state["rng_per_rank"] = {str(r): s for r, s in
                                     enumerate(dist_utils.all_gather(state["rng"]))}
        path = ckpt.checkpoint_path(self.ckpt_dir, self.current_iter)
        if self.is_main:
            ckpt.save_state(path, state)
            ckpt.prune_checkpoints(self.ckpt_dir, self.settings.keep_last)
        self.last_checkpoint = path
        return path

    def resume(self, path):
        state = ckpt.load_state(path)
        restore_training_state(self.model, self.optimizers, self.lr_schedulers, state, path)
        if state.get("iters_per_epoch") not in (None, self.iters_per_epoch):
            self.logger.warning(f"the data set changed since the checkpoint "
                                f"({state['iters_per_epoch']} -> {self.iters_per_epoch} "
                                f"iterations per epoch): resume is not exact")
        self.current_iter = int(state["iter"])
        self.seed = int(state.get("seed", self.seed))
        per_rank = state.get("rng_per_rank") or {}
        if self.world_size > 1 and len(per_rank) != self.world_size:
            self.logger.warning(f"the checkpoint was written by {len(per_rank) or 1} "
                                f"process(es), this run has {self.world_size}: data order "
                                f"and noise will differ from the original run")
        ckpt.restore_rng_state(per_rank.get(str(self.rank), state["rng"]))
        self.last_checkpoint = path
        self.logger.info(f"resumed from {path} at iteration {self.current_iter}")

    def load(self, path):
        place_nets(self.model, ckpt.load_weights(path), path)
        self.logger.info(f"loaded weights from {path}")

    # ------------------------------------------------------------ signals
    def _install_signal_handlers(self):
        previous = {}

        def handler(signum, frame):
            if self._stop_signal is not None:  # a second Ctrl-C: stop now
                raise KeyboardInterrupt
            self._stop_signal = signal.Signals(signum).name
            self.logger.warning(f"{self._stop_signal} received: saving a checkpoint after "
                                f"this iteration, then stopping (again to abort)")

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                previous[sig] = signal.signal(sig, handler)
            except ValueError:  # not the main thread
                pass
        return previous

    # ------------------------------------------------------------ the loop
    def train(self):
        previous = self._install_signal_handlers()
        timer, log_every = Timer(), max(1, self.settings.log_interval)
        start_iter, start_time = self.current_iter, time.time()
        self.logger.info(f"training {self.total_iters} iterations "
                         f"({self.iters_per_epoch} per epoch) into {self.run_dir}")
        if self.current_iter == 0 and self.is_main:
            self.write_samples()
        bar = tqdm(total=self.total_iters, initial=self.current_iter, desc="train",
                   dynamic_ncols=True, mininterval=1.0, leave=False,
                   disable=not self.is_main)
        try:
            while self.current_iter < self.total_iters and self._stop_signal is None:
                epoch, skip = divmod(self.current_iter, self.iters_per_epoch)
                self.train_loader.set_epoch(epoch, skip_batches=skip)
                t_read = now()
                for batch in self.train_loader:
                    reader_cost = now() - t_read
                    self.model.setup_train_mode(True)
                    self.model.setup_input(batch)
                    self.model.current_iter = self.current_iter
                    with paddle.amp.auto_cast(enable=self.amp, level=self.amp_level):
                        self.model.train_iter(self.optimizers)
                    losses = self.model.get_current_losses()
                    self._agree_on_stop(losses)
                    self.current_iter += 1
                    for scheduler in self.lr_schedulers.values():
                        scheduler.step()
                    timer.add(now() - t_read, reader_cost, _batch_size(batch))
                    bar.update(1)
                    if self.current_iter % log_every == 0:
                        self._log(losses, timer, start_iter, start_time, epoch, bar)
                        timer.reset()
                    self._periodic()
                    if self.current_iter >= self.total_iters or self._stop_signal:
                        break
                    t_read = now()
        finally:
            bar.close()
            for sig, h in previous.items():
                signal.signal(sig, h)
        path = self.save_checkpoint()
        if self.world_size > 1:
            self._check_ranks_in_sync()
        if self.is_main:
            self.write_samples(final=True)
        if self._stop_signal:
            self.logger.info(f"stopped by {self._stop_signal} at iteration "
                             f"{self.current_iter}; resume with --resume {path}")
        else:
            self.logger.info(f"done: {self.current_iter} iterations in "
                             f"{time.time() - start_time:.1f} s; checkpoint {path}")
        self.jsonl.close()
        self.vdl.close()
        return path

    def _periodic(self):
        it = self.current_iter
        every = self.settings
        if every.visual_interval > 0 and it % every.visual_interval == 0 and self.is_main:
            self.write_samples()
        if every.validate_interval > 0 and it % every.validate_interval == 0 \
                and self.test_loader is not None and self.is_main:
            self.validate()
        if self.snapshot_interval > 0 and it % self.snapshot_interval == 0 \
                and it < self.total_iters:
            self.save_checkpoint()

    def _agree_on_stop(self, losses):
        """Stop requests and non-finite losses, agreed by all ranks (one tiny
        all-reduce per iteration), so no rank waits forever on the others."""
        bad = describe_nan(losses)
        if self.world_size > 1:
            stop, diverged = dist_utils.any_rank([self._stop_signal is not None,
                                                  bad is not None])
            if stop and self._stop_signal is None:
                self._stop_signal = "a stop request on another rank"
            if diverged and bad is None:
                bad = "non-finite on another rank"
        if bad:
            self._diverged(bad)

    def _check_ranks_in_sync(self):
        sums = dist_utils.all_gather(dist_utils.weights_checksum(self.model.nets))
        if max(sums) - min(sums) > 1e-6 * max(1.0, abs(sums[0])):
            self.logger.warning(f"ranks out of sync: weight checksums {sums}")
        else:
            self.logger.info(f"ranks in sync: weight checksum {sums[0]:.6f} on all "
                             f"{self.world_size}")

    def _diverged(self, bad):
        where = (f"the last good checkpoint is {self.last_checkpoint}"
                 if self.last_checkpoint else "no checkpoint was written yet")
        self.logger.error(f"loss {bad} at iteration {self.current_iter + 1}")
        self.jsonl.write({"iter": self.current_iter + 1, "event": "diverged", "detail": bad})
        raise TrainingDivergedError(
            f"loss {bad} at iteration {self.current_iter + 1}; training stopped and "
            f"{where}: lower the learning rate or check the data")

    def _log(self, losses, timer, start_iter, start_time, epoch, bar):
        stats = timer.averages()
        done = self.current_iter - start_iter
        eta = (time.time() - start_time) / max(1, done) * (self.total_iters - self.current_iter)
        rates = learning_rates(self.lr_schedulers)
        record = {"iter": self.current_iter, "epoch": epoch, **rates, **losses,
                  **{k: round(v, 5) for k, v in stats.items()}, "eta": format_eta(eta),
                  "time": round(time.time(), 3)}
        self.jsonl.write(record)
        self.vdl.scalars({**losses, **stats, **rates}, self.current_iter)
        loss_text = " ".join(f"{k}: {v:.4f}" for k, v in losses.items())
        bar.set_postfix_str(loss_text[:60], refresh=False)
        line = (f"iter {self.current_iter}/{self.total_iters} epoch {epoch} "
                f"{' '.join(f'{k} {v:.3e}' for k, v in rates.items())} {loss_text} "
                f"batch_cost {stats['batch_cost']:.3f}s reader_cost "
                f"{stats['reader_cost']:.4f}s ips {stats['ips']:.1f} img/s "
                f"eta {format_eta(eta)}")
        if self.is_main:
            tqdm.write(line)
            to_run_file(self.logger, line)

    # ------------------------------------------------------------ pictures
    def _fixed_inputs(self):
        if self._fixed_batch is None:
            loader = self.test_loader or self.train_loader
            if loader is not None:
                loader.set_epoch(0)
                self._fixed_batch = next(iter(loader))
        return self._fixed_batch

    def write_samples(self, final=False):
        self.pictures.write(self.current_iter, self._fixed_inputs(), final)

    # ------------------------------------------------------------ validation
    def validate(self):
        if self.test_loader is None:
            raise ConfigError("validation needs 'dataset.test' in the config")
        for metric in self.metrics.values():
            metric.reset()
        self.model.setup_train_mode(False)
        self.test_loader.set_epoch(0)
        for i, batch in enumerate(self.test_loader):
            self.model.setup_input(batch)
            self.model.test_iter(metrics=self.metrics)
            if self.settings.save_val_images and i < 4:
                self.pictures.validation(self.current_iter, i, self.model.get_current_visuals())
        self.model.setup_train_mode(True)
        results = {name: m.accumulate() for name, m in self.metrics.items()}
        record = {"iter": self.current_iter, "event": "validate", "metrics": results}
        self.jsonl.write(record)
        self.vdl.scalars({f"metric/{k}": v for k, v in flatten_metrics(results).items()},
                         self.current_iter)
        if results:
            self.logger.info(f"validation at iter {self.current_iter}: {results}")
            self.pictures.metrics_curve()
        return results


def _batch_size(batch):
    for value in batch.values():
        if hasattr(value, "shape") and len(value.shape) > 0:
            return int(value.shape[0])
    return 1
