import logging
import os

import numpy as np
import pytest

from ppgan_lite.datasets import build_dataloader, build_dataset
from ppgan_lite.utils.errors import ConfigError, DataError

from datasets_testutils import make_images, truncate_file


def single(root, **extra):
    return dict({"name": "SingleDataset", "dataroot": str(root)}, **extra)


def test_single_dataset_default_preprocess(tmp_path):
    paths = make_images(tmp_path / "imgs", 3, size=(8, 6))
    ds = build_dataset(single(tmp_path / "imgs"))
    assert len(ds) == 3
    item = ds[1]
    assert item["A_path"] == paths[1]
    assert item["A"].shape == (3, 8, 6) and item["A"].dtype == np.float32
    raw = np.random.default_rng(0).integers(0, 256, (3, 8, 6, 3), dtype=np.uint8)[1]
    np.testing.assert_allclose(item["A"], raw.transpose(2, 0, 1) / 127.5 - 1.0, atol=1e-6)


def test_corrupt_and_truncated_files_are_skipped_and_counted(tmp_path, caplog):
    paths = make_images(tmp_path / "imgs", 6, size=(16, 16), ext="jpg")
    truncate_file(paths[2])
    with open(tmp_path / "imgs" / "zz_notes.png", "w") as f:
        f.write("not an image")
    loader = build_dataloader(single(tmp_path / "imgs", batch_size=2), is_train=True, seed=3)
    assert len(loader) == 3  # 7 files, drop_last
    with caplog.at_level(logging.WARNING):
        for epoch in range(2):
            batches = list(loader)
            assert len(batches) == 3
            for batch in batches:
                assert list(batch["A"].shape) == [2, 3, 16, 16]
                assert not set(batch["A_path"]) & {paths[2], str(tmp_path / "imgs" / "zz_notes.png")}
    ds = loader.dataset
    assert sorted(ds.skipped) == sorted([paths[2], str(tmp_path / "imgs" / "zz_notes.png")])
    warned = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()]
    assert len(warned) == 2 and any(paths[2] in w for w in warned)  # once per file


def test_one_corrupt_file_skipped_count_one(tmp_path):
    paths = make_images(tmp_path / "imgs", 5, size=(8, 8))
    truncate_file(paths[0], keep=0.3)
    ds = build_dataset(single(tmp_path / "imgs"))
    assert ds.skipped == [paths[0]]  # found by the build-time check already
    items = [ds[i] for i in range(len(ds))]
    assert ds.skipped == [paths[0]]
    assert all(item["A_path"] != paths[0] for item in items)
    assert items[0]["A_path"] in paths[1:]  # replaced, deterministically
    assert items[0]["A_path"] == ds[0]["A_path"]


def test_missing_empty_and_unreadable_folders_fail_at_build(tmp_path):
    with pytest.raises(DataError) as err:
        build_dataloader(single(tmp_path / "nope"), is_train=True)
    message = str(err.value)
    assert message.startswith(f"dataset.train.dataroot: directory '{tmp_path / 'nope'}' does not exist.")
    assert "data/README.md" in message and "\n" not in message
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    with pytest.raises(DataError, match=r"dataset\.test\.dataroot: .* has no image files"):
        build_dataloader(single(tmp_path / "empty"), is_train=False)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"garbage")
    (tmp_path / "bad" / "b.jpg").write_bytes(b"")
    with pytest.raises(DataError, match="none of the 2 image files"):
        build_dataset(single(tmp_path / "bad"))
    with pytest.raises(DataError, match=r"dataroot_b: directory"):
        build_dataset({"name": "UnpairedDataset", "dataroot_a": str(tmp_path / "bad"),
                       "dataroot_b": str(tmp_path / "nope")})
    with pytest.raises(ConfigError, match="SingleDataset needs dataroot"):
        build_dataset({"name": "SingleDataset"})


def test_image_folder_labels_from_subfolders(tmp_path):
    make_images(tmp_path / "cats", 2, size=(8, 8))
    make_images(tmp_path / "dogs", 3, size=(8, 8), seed=1)
    make_images(tmp_path / "dogs" / "puppies", 1, size=(8, 8), seed=2)
    cfg = {"name": "ImageFolderDataset", "dataroot": str(tmp_path),
           "labels_from_subfolders": True}
    ds = build_dataset(cfg)
    assert ds.classes == ["cats", "dogs"]
    labels = [ds[i]["label"] for i in range(len(ds))]
    assert labels == [0, 0, 1, 1, 1, 1]
    batch = next(iter(build_dataloader(dict(cfg, batch_size=6), is_train=False)))
    assert str(batch["label"].dtype) == "paddle.int64"
    assert batch["label"].numpy().tolist() == labels
    make_images(tmp_path, 1, size=(8, 8))  # a loose image in the root
    with pytest.raises(DataError, match="outside class sub-folders"):
        build_dataset(cfg)
    assert build_dataset(dict(cfg, labels_from_subfolders=False))[0]["label"] == 0


def test_unpaired_dataset_semantics(tmp_path):
    a = make_images(tmp_path / "a", 5, size=(8, 8))
    b = make_images(tmp_path / "b", 3, size=(8, 8), seed=1)
    cfg = {"name": "UnpairedDataset", "dataroot_a": str(tmp_path / "a"),
           "dataroot_b": str(tmp_path / "b"), "is_train": False}
    ds = build_dataset(cfg)
    assert len(ds) == 5
    assert [ds[i]["B_path"] for i in range(5)] == [b[i % 3] for i in range(5)]
    train = build_dataset(dict(cfg, is_train=True))
    train.seed = 11
    picks = [train[(epoch, 0)]["B_path"] for epoch in range(12)]
    assert [train[(epoch, 0)]["B_path"] for epoch in range(12)] == picks  # reproducible
    assert len(set(picks)) == 3  # and random across epochs
    assert all(train[(0, i)]["A_path"] == a[i] for i in range(5))
    small = build_dataset(dict(cfg, max_size=2))
    assert len(small) == 2 and small.paths_b == b[:2]


def test_memory_does_not_grow_over_epochs(tmp_path):
    """No decoded image is cached: a second and third pass allocate nothing that stays."""
    import tracemalloc

    make_images(tmp_path / "imgs", 8, size=(32, 32))
    loader = build_dataloader(single(tmp_path / "imgs", batch_size=4), is_train=True)
    list(loader)
    tracemalloc.start()
    list(loader)
    after_one, _ = tracemalloc.get_traced_memory()
    for _ in range(3):
        list(loader)
    after_four, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert after_four - after_one < 200_000  # 8 decoded images would be ~25 kB each
    assert not any(isinstance(v, np.ndarray) for v in vars(loader.dataset).values())
    assert os.path.isdir(tmp_path / "imgs")
