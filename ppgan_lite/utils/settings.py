"""The run settings a config's bookkeeping sections hold, and their defaults, in one
place: what validation accepts and what the trainer reads come from these tables.

PaddleGAN's spellings are kept: ``log_config.visiual_interval`` (also
``visual_interval``), ``snapshot_config.max_keep`` (also ``keep_last``),
``validate.save_imig`` (its StyleGAN2 config's typo of ``save_img``).
"""
from dataclasses import dataclass

# section -> key -> (type, setting it fills); several keys may fill one setting
SECTION_KEYS = {
    "log_config": {"interval": (int, "log_interval"),
                   "visiual_interval": (int, "visual_interval"),
                   "visual_interval": (int, "visual_interval"),
                   "sample_grid": (int, "sample_grid")},
    "snapshot_config": {"interval": (int, "snapshot_interval"),
                        "keep_last": (int, "keep_last"),
                        "max_keep": (int, "keep_last")},
    "validate": {"interval": (int, "validate_interval"),
                 "save_img": (bool, "save_val_images"),
                 "save_imig": (bool, "save_val_images"),
                 "metrics": (dict, None)},
}


@dataclass(frozen=True)
class RunSettings:
    log_interval: int = 10           # iterations between log lines / log.jsonl records
    visual_interval: int = 500       # iterations between sample grids and visuals
    sample_grid: int = 64            # images in the fixed sample grid
    snapshot_interval: int = None    # checkpoints every N epochs (epochs runs) or iterations;
    keep_last: int = 3               # None: every epoch, or every 1000 iterations
    validate_interval: int = -1      # iterations between validations; -1: never
    save_val_images: bool = True     # validation pictures (visual_test/)
    seed: int = 0
    amp_level: str = "O1"

    @classmethod
    def from_config(cls, cfg, seed=None):
        values = {}
        for section, keys in SECTION_KEYS.items():
            given = cfg.get(section) or {}
            for key, (_, setting) in keys.items():  # table order: the first spelling wins
                if setting is not None and given.get(key) is not None:
                    values.setdefault(setting, given[key])
        values["seed"] = int(seed if seed is not None else cfg.get("seed", 0) or 0)
        if cfg.get("amp_level"):
            values["amp_level"] = cfg["amp_level"]
        return cls(**values)

    def snapshot_iters(self, by_epoch, iters_per_epoch):
        """Iterations between checkpoints."""
        interval = self.snapshot_interval
        if interval is None:
            interval = 1 if by_epoch else 1000
        return int(interval) * (iters_per_epoch if by_epoch else 1)
