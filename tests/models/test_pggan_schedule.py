"""PGGAN's growth schedule: levels, alpha and batch over iterations, the official lod
where the batches divide the phases, and the config errors."""
import math

import pytest

from ppgan_lite.models.pggan_schedule import GrowthSchedule
from ppgan_lite.utils.errors import ConfigError


def official_lod(images_shown, resolution_log2, initial=4, train_kimg=0.1, trans_kimg=0.1):
    """The lod of the official TrainingSchedule for a number of images shown (its
    formula, written out)."""
    kimg = images_shown / 1000.0
    phase_dur = train_kimg + trans_kimg
    phase_idx = math.floor(kimg / phase_dur)
    phase_kimg = kimg - phase_idx * phase_dur
    lod = resolution_log2 - math.floor(math.log2(initial)) - phase_idx
    lod -= max(phase_kimg - train_kimg, 0.0) / trans_kimg
    return max(lod, 0.0)


def test_levels_alpha_and_batch_over_iterations():
    s = GrowthSchedule(16, lod_training_kimg=0.1, lod_transition_kimg=0.05,
                       minibatch_base=16, minibatch_dict={4: 20, 8: 12, 16: 8},
                       batch_multiple=4)
    assert s.describe() == [
        "iterations 0-4: stable 4x4, batch 20",
        "iterations 5-9: fade-in of 8x8, batch 12",
        "iterations 10-18: stable 8x8, batch 12",
        "iterations 19-25: fade-in of 16x16, batch 8",
        "from iteration 26: stable 16x16, batch 8"]
    assert s.at(0) == (0, 1.0, 20) and s.at(4) == (0, 1.0, 20)
    assert s.at(5) == (1, 0.0, 12)
    level, alpha, batch = s.at(7)
    assert (level, batch) == (1, 12) and alpha == pytest.approx(24 / 50)  # images / 50
    assert s.at(9)[1] == pytest.approx(48 / 50)
    assert s.at(10) == (1, 1.0, 12)
    assert s.at(19) == (2, 0.0, 8) and s.at(25)[1] == pytest.approx(48 / 50)
    assert s.at(26) == s.at(10 ** 6) == (2, 1.0, 8)
    assert s.lod(0) == 2.0 and s.lod(7) == pytest.approx(1.52) and s.lod(26) == 0.0
    assert [i for i in range(40) if s.starts_phase(i)] == [5, 10, 19, 26]
    assert s.final_level_start == 26


def test_matches_the_official_lod_where_batches_divide_the_phases():
    batches = {4: 20, 8: 20, 16: 10, 32: 10}
    s = GrowthSchedule(32, lod_training_kimg=0.1, lod_transition_kimg=0.1,
                       minibatch_dict=batches)
    shown = 0
    for iteration in range(80):
        level, _, batch = s.at(iteration)
        assert s.lod(iteration) == pytest.approx(official_lod(shown, 5), abs=1e-12), iteration
        assert batch == batches[4 * 2 ** level]
        shown += batch
    assert s.at(79)[0] == 3


def test_initial_resolution_and_no_growing():
    s = GrowthSchedule(32, lod_initial_resolution=8, lod_training_kimg=0.05,
                       lod_transition_kimg=0.05, minibatch_base=10)
    assert s.at(0) == (1, 1.0, 10) and s.lod(0) == 2.0
    assert len(s.phases) == 5  # 8 stable, 16 in, 16, 32 in, 32
    flat = GrowthSchedule(32, lod_initial_resolution=32, minibatch_base=4)
    assert flat.at(0) == flat.at(10 ** 6) == (3, 1.0, 4) and not flat.starts_phase(1)
    instant = GrowthSchedule(16, lod_training_kimg=0.04, lod_transition_kimg=0,
                             minibatch_base=4)
    assert [p.fading for p in instant.phases] == [False, False, False]  # no fade-ins
    assert instant.at(10) == (1, 1.0, 4) and instant.starts_phase(10)
    small = GrowthSchedule(16, minibatch_base=2, batch_multiple=4)  # one group of 2
    assert small.at(0)[2] == 2


@pytest.mark.parametrize("kwargs, message", [
    (dict(lod_initial_resolution=64), "above the nets' resolution 32"),
    (dict(lod_initial_resolution=6), "power of two"),
    (dict(lod_training_kimg=-1), "lod_training_kimg"),
    (dict(minibatch_dict={4: 6}, batch_multiple=4), "multiple of the discriminator's"),
    (dict(minibatch_dict={4: 3, 8: 5}, batch_multiple=4), "batch size 5 at 8x8"),
    (dict(minibatch_dict={12: 8}), "key 12 is not one of the resolutions 4, 8, 16, 32"),
    (dict(minibatch_dict={8: 0}), "at 8x8 must be a positive integer"),
    (dict(minibatch_dict=[4, 8]), "must map resolutions"),
])
def test_bad_schedules_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        GrowthSchedule(32, **kwargs)
