import logging
import os

import numpy as np
import pytest

from ppgan_lite.datasets import build_dataloader, build_dataset
from ppgan_lite.utils.errors import ConfigError, DataError

from datasets_testutils import garble_middle, make_images, truncate_file


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


def test_unreadable_files_are_left_out_at_build_with_one_warning(tmp_path, caplog):
    paths = make_images(tmp_path / "imgs", 6, size=(16, 16), ext="jpg")
    truncate_file(paths[2])
    notes = str(tmp_path / "imgs" / "zz_notes.png")
    with open(notes, "w") as f:
        f.write("not an image")
    with caplog.at_level(logging.WARNING):
        loader = build_dataloader(single(tmp_path / "imgs", batch_size=2), is_train=True, seed=3)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1
    assert warned[0].startswith("dataroot: 2 of 7 files cannot be read (first: 002.jpg: ")
    assert warned[0].endswith("; they are left out")
    ds = loader.dataset
    assert len(ds) == 5 and ds.paths == [p for i, p in enumerate(paths) if i != 2]
    assert len(loader) == 2  # 5 readable files, batch 2, drop_last
    assert ds.skipped == [paths[2], notes]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for epoch in range(2):
            batches = list(loader)
            assert len(batches) == 2
            for batch in batches:
                assert list(batch["A"].shape) == [2, 3, 16, 16]
                assert not set(batch["A_path"]) & {paths[2], notes}
    assert not caplog.records  # nothing left to skip while training


def test_a_file_that_fails_only_when_decoded_is_skipped_while_training(tmp_path, caplog):
    """The build-time check reads headers and end markers; a file damaged in the
    middle passes it and is skipped (once, by name) when a batch reaches it."""
    paths = make_images(tmp_path / "imgs", 6, size=(16, 16))
    garble_middle(paths[3])
    loader = build_dataloader(single(tmp_path / "imgs", batch_size=2), is_train=True, seed=3)
    assert len(loader.dataset) == 6 and loader.dataset.skipped == []
    with caplog.at_level(logging.WARNING):
        for epoch in range(2):
            for batch in loader:
                assert list(batch["A"].shape) == [2, 3, 16, 16]
                assert paths[3] not in batch["A_path"]
    assert loader.dataset.skipped == [paths[3]]
    warned = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()]
    assert len(warned) == 1 and paths[3] in warned[0]


def test_one_corrupt_file_skipped_count_one(tmp_path):
    paths = make_images(tmp_path / "imgs", 5, size=(8, 8))
    truncate_file(paths[0], keep=0.3)
    ds = build_dataset(single(tmp_path / "imgs"))
    assert ds.skipped == [paths[0]]  # found by the build-time check already
    assert len(ds) == 4  # and left out
    items = [ds[i] for i in range(len(ds))]
    assert ds.skipped == [paths[0]]
    assert [item["A_path"] for item in items] == paths[1:]


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
