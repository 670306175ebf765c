"""PGGAN's growth schedule as a function of the iteration (Karras et al. 2018, sec. 3;
the official ``TrainingSchedule`` in tkarras/progressive_growing_of_gans ``train.py``).

Training starts at ``lod_initial_resolution``; each level is trained for
``lod_training_kimg`` thousand real images, then the next level fades in over
``lod_transition_kimg`` thousand (its ``alpha`` rising linearly from 0 to 1); the final
level trains for good. The batch of a phase is ``minibatch_dict[resolution]`` (default
``minibatch_base``), the resolution being the one the phase trains at (a fade-in trains
the new level), as the official code's.

The official loop counts images shown and re-evaluates the schedule every 4
minibatches; here a phase lasts ceil(images / batch) iterations and alpha is the
fraction of the fade-in's images shown before the iteration, updated every iteration.
Where the batches divide the phases this is the official lod at every iteration; in
any case the level, alpha and batch of an iteration depend on that iteration and the
config only, so a resumed run is where the uninterrupted one was.
"""
import math
from dataclasses import dataclass

from ..utils.errors import ConfigError


@dataclass(frozen=True)
class Phase:
    """One stretch of training: ``level`` (0 = 4x4) stable, or fading in."""
    level: int
    fading: bool
    batch: int
    start: int
    length: object  # iterations, None for the final level's open end
    images: float = 0.0

    def alpha(self, iteration):
        if not self.fading:
            return 1.0
        return min(1.0, (iteration - self.start) * self.batch / self.images)

    def describe(self, max_level):
        res = 4 * 2 ** self.level
        span = (f"iterations {self.start}-{self.start + self.length - 1}"
                if self.length is not None else f"from iteration {self.start}")
        what = "fade-in of" if self.fading else "stable"
        return f"{span}: {what} {res}x{res}, batch {self.batch}"


class GrowthSchedule:
    def __init__(self, resolution, lod_initial_resolution=4, lod_training_kimg=600,
                 lod_transition_kimg=600, minibatch_base=16, minibatch_dict=None,
                 batch_multiple=1):
        self.max_level = _level(resolution, "resolution")
        first = _level(lod_initial_resolution, "lod_initial_resolution")
        if first > self.max_level:
            raise ConfigError(f"PGGANModel lod_initial_resolution {lod_initial_resolution} "
                              f"is above the nets' resolution {resolution}")
        for key, value in (("lod_training_kimg", lod_training_kimg),
                           ("lod_transition_kimg", lod_transition_kimg)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"PGGANModel {key} must be a number of thousands of "
                                  f"images >= 0, got {value!r}")
        self.batches = _batches(self.max_level, minibatch_base, minibatch_dict or {},
                                batch_multiple)
        self.phases = []
        start = 0
        for level in range(first, self.max_level + 1):
            if level > first:
                start = self._add(level, True, lod_transition_kimg, start)
            if level < self.max_level:
                start = self._add(level, False, lod_training_kimg, start)
        self.phases.append(Phase(self.max_level, False, self.batches[self.max_level], start,
                                 None))

    def _add(self, level, fading, kimg, start):
        batch = self.batches[level]
        images = round(kimg * 1000.0, 6)  # 0.016 kimg is 16 images, not 16.000000000000004
        length = math.ceil(images / batch)
        if length > 0:
            self.phases.append(Phase(level, fading, batch, start, length, images))
        return start + length

    def phase(self, iteration):
        for phase in reversed(self.phases):
            if iteration >= phase.start:
                return phase
        return self.phases[0]

    def at(self, iteration):
        """(level, alpha, batch) of ``iteration``."""
        phase = self.phase(iteration)
        return phase.level, phase.alpha(iteration), phase.batch

    def lod(self, iteration):
        """The official level of detail: max_level - level + (1 - alpha)."""
        level, alpha, _ = self.at(iteration)
        return (self.max_level - level) + (1.0 - alpha)

    def starts_phase(self, iteration):
        """True on the first iteration of a phase after the first one: where the
        official code resets the optimizers (the lod's floor or ceiling changes)."""
        return iteration > 0 and any(p.start == iteration for p in self.phases)

    @property
    def final_level_start(self):
        return self.phases[-1].start

    def describe(self):
        return [p.describe(self.max_level) for p in self.phases]


def _level(resolution, key):
    if (isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 4
            or resolution & (resolution - 1)):
        raise ConfigError(f"PGGANModel {key} must be a power of two >= 4, got {resolution!r}")
    return int(math.log2(resolution)) - 2


def _batches(max_level, minibatch_base, minibatch_dict, multiple):
    """level -> batch size, checked: positive, and a multiple of the minibatch-stddev
    group or smaller than it (the official code requires it too)."""
    if not isinstance(minibatch_dict, dict):
        raise ConfigError(f"PGGANModel minibatch_dict must map resolutions to batch sizes, "
                          f"e.g. {{4: 64, 8: 64, 16: 32}}, got {minibatch_dict!r}")
    resolutions = {4 * 2 ** level: level for level in range(max_level + 1)}
    batches = {level: minibatch_base for level in resolutions.values()}
    for res, batch in minibatch_dict.items():
        try:
            level = resolutions[int(res)]
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"PGGANModel minibatch_dict key {res!r} is not one of the "
                              f"resolutions {', '.join(map(str, resolutions))}") from None
        batches[level] = batch
    for level, batch in batches.items():
        res = 4 * 2 ** level
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ConfigError(f"PGGANModel batch size at {res}x{res} must be a positive "
                              f"integer, got {batch!r} (minibatch_base / minibatch_dict)")
        if batch % min(batch, multiple):
            raise ConfigError(f"PGGANModel batch size {batch} at {res}x{res} is not a "
                              f"multiple of the discriminator's mbstd_group_size {multiple}: "
                              f"change minibatch_dict or mbstd_group_size")
    return batches
