import multiprocessing
import time

import numpy as np
import paddle
import pytest

from ppgan_lite.datasets import build_dataloader
from ppgan_lite.utils.errors import ConfigError, DataError

from datasets_testutils import make_images

AUGMENT = [{"name": "RandomCrop", "size": [12, 12]},
           {"name": "RandomHorizontalFlip", "prob": 0.5},
           {"name": "Transpose"},
           {"name": "Normalize", "mean": [127.5] * 3, "std": [127.5] * 3}]


@pytest.fixture
def train_cfg(tmp_path):
    make_images(tmp_path / "imgs", 10, size=(16, 16))
    return {"name": "SingleDataset", "dataroot": str(tmp_path / "imgs"), "batch_size": 3,
            "preprocess": [{"name": "LoadImageFromFile", "key": "A"},
                           {"name": "Transforms", "input_keys": ["A"], "pipeline": AUGMENT}]}


def run_epoch(loader, epoch, skip=0):
    loader.set_epoch(epoch, skip_batches=skip)
    return [(b["A_path"], b["A"].numpy()) for b in loader]


def assert_same(batches_a, batches_b):
    assert len(batches_a) == len(batches_b)
    for (paths_a, a), (paths_b, b) in zip(batches_a, batches_b):
        assert paths_a == paths_b
        np.testing.assert_array_equal(a, b)


def test_same_seed_and_epoch_give_identical_batches(train_cfg):
    loader = build_dataloader(train_cfg, is_train=True, seed=5)
    assert len(loader) == 3  # 10 // 3, drop_last
    first = run_epoch(loader, 2)
    assert_same(first, run_epoch(loader, 2))
    assert_same(first, run_epoch(build_dataloader(train_cfg, is_train=True, seed=5), 2))
    other_epoch = run_epoch(loader, 3)
    assert [p for p, _ in first] != [p for p, _ in other_epoch]
    other_seed = run_epoch(build_dataloader(train_cfg, is_train=True, seed=6), 2)
    assert [p for p, _ in first] != [p for p, _ in other_seed]


def test_order_is_the_seeded_permutation(train_cfg):
    loader = build_dataloader(train_cfg, is_train=True, seed=5)
    loader.set_epoch(4)
    paths = [p for b in loader for p in b["A_path"]]
    order = np.random.default_rng([5, 4]).permutation(10)[:9]
    assert [int(p[-7:-4]) for p in paths] == order.tolist()


def test_skip_batches_resumes_mid_epoch(train_cfg):
    loader = build_dataloader(train_cfg, is_train=True, seed=1)
    full = run_epoch(loader, 7)
    assert_same(run_epoch(loader, 7, skip=2), full[2:])
    assert_same(run_epoch(loader, 7, skip=1), full[1:])
    assert run_epoch(loader, 7, skip=5) == []
    # the skip applies once; the pass after it is the whole next epoch
    assert_same([(b["A_path"], b["A"].numpy()) for b in loader], run_epoch(loader, 8))


def test_epochs_advance_without_set_epoch(train_cfg):
    loader = build_dataloader(train_cfg, is_train=True, seed=2)
    passes = [[b["A_path"] for b in loader] for _ in range(3)]
    assert loader.epoch == 2
    assert passes[1] == [p for p, _ in run_epoch(loader, 1)]
    assert passes[0] != passes[1]


def test_two_workers_equal_no_workers(train_cfg):
    serial = build_dataloader(train_cfg, is_train=True, seed=9)
    parallel = build_dataloader(dict(train_cfg, num_workers=2), is_train=True, seed=9)
    assert_same(run_epoch(serial, 1), run_epoch(parallel, 1))
    assert_same(run_epoch(serial, 2, skip=1), run_epoch(parallel, 2, skip=1))


def test_test_loader_is_ordered_and_keeps_the_tail(train_cfg):
    loader = build_dataloader(train_cfg, is_train=False)
    batches = [b["A_path"] for b in loader]
    assert len(loader) == 4 and [len(b) for b in batches] == [3, 3, 3, 1]
    assert [p for b in batches for p in b] == sorted(p for b in batches for p in b)
    assert batches == [b["A_path"] for b in loader]  # no shuffling in any epoch


def test_distributed_shards_are_disjoint_and_equal(train_cfg, monkeypatch):
    shards = []
    for rank in range(3):
        monkeypatch.setattr(paddle.distributed, "get_rank", lambda r=rank: r)
        monkeypatch.setattr(paddle.distributed, "get_world_size", lambda: 3)
        loader = build_dataloader(dict(train_cfg, batch_size=1), is_train=True, seed=4,
                                  distributed=True)
        loader.set_epoch(1)
        shards.append([b["A_path"][0] for b in loader])
    assert [len(s) for s in shards] == [3, 3, 3]
    assert len(set(shards[0]) | set(shards[1]) | set(shards[2])) == 9


def test_loader_config_errors(train_cfg):
    with pytest.raises(DataError, match="give no batch of 20"):
        build_dataloader(dict(train_cfg, batch_size=20), is_train=True)
    assert len(build_dataloader(dict(train_cfg, batch_size=20), is_train=False)) == 1
    with pytest.raises(ConfigError, match="batch_size"):
        build_dataloader(dict(train_cfg, batch_size=0))
    with pytest.raises(ConfigError, match="num_workers"):
        build_dataloader(dict(train_cfg, num_workers=-1))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_sample_errors_reach_the_caller_as_data_errors(tmp_path, num_workers):
    make_images(tmp_path / "mixed", 1, size=(8, 8))
    make_images(tmp_path / "mixed" / "sub", 1, size=(8, 10))
    cfg = {"name": "SingleDataset", "dataroot": str(tmp_path / "mixed"),
           "num_workers": num_workers}
    with pytest.raises(DataError, match="add a Resize"):  # in collate
        next(iter(build_dataloader(dict(cfg, batch_size=2), is_train=False)))
    crop = [{"name": "LoadImageFromFile", "key": "A"},
            {"name": "Transforms", "input_keys": ["A"],
             "pipeline": [{"name": "CenterCrop", "size": 9}]}]
    with pytest.raises(DataError, match="smaller than the crop"):  # in a sample
        next(iter(build_dataloader(dict(cfg, preprocess=crop), is_train=False)))


def test_a_pass_left_early_stops_its_workers(train_cfg):
    def workers():
        return [p for p in multiprocessing.active_children() if p.is_alive()]

    loader = build_dataloader(dict(train_cfg, num_workers=2), is_train=True, seed=3)
    before = len(workers())
    batches = iter(loader)
    next(batches)
    assert len(workers()) == before + 2
    batches.close()  # what dropping the pass does
    deadline = time.time() + 10
    while len(workers()) > before and time.time() < deadline:
        time.sleep(0.05)
    assert len(workers()) == before
    assert len(run_epoch(loader, 1)) == len(loader)  # the loader still works
