"""The offline pix2pix and CycleGAN demo sets: layout, sizes, seeds, held-out
photos, and B really being the stated function of A."""
import os

import numpy as np
import pytest

from ppgan_lite.datasets import build_dataset, demo_sets
from ppgan_lite.datasets.demo_sets import blue_tone, crop_at, ink_remap, package_photo
from ppgan_lite.utils.errors import DataError
from ppgan_lite.utils.image_io import list_images, read_image


def quiet(*_):
    pass


@pytest.fixture(scope="module")
def paired_demo(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("demo") / "pix2pix")
    lines = []
    counts = demo_sets.build_paired_demo(out, seed=0, log=lines.append)  # the defaults: 64 px
    return out, counts, lines


@pytest.fixture(scope="module")
def unpaired_demo(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("demo") / "cyclegan")
    counts = demo_sets.build_unpaired_demo(out, n_train=30, n_test=8, seed=0, log=quiet)
    return out, counts


def files_of(out):
    return demo_sets.read_manifest(out)["files"]


def halves(path):
    image = read_image(path)
    return image[:, :image.shape[1] // 2], image[:, image.shape[1] // 2:]


def test_paired_layout_sizes_and_summary(paired_demo):
    out, counts, lines = paired_demo
    assert counts == {"train": 200, "test": 24}
    assert lines[0].startswith(f"pix2pix demo set in {out} (64 px, seed 0, ")
    assert lines[1:] == ["  train: 200 A|B pairs", "  test: 24 A|B pairs"]
    for split, n in counts.items():
        paths = list_images(os.path.join(out, split))
        assert len(paths) == n
        assert {read_image(p).shape for p in paths} == {(64, 128, 3)}
    manifest = demo_sets.read_manifest(out)
    assert manifest["kind"] == "pix2pix" and manifest["direction"] == "a2b"


def test_paired_b_is_ink_remap_of_a_and_a_is_a_crop_of_its_photo(paired_demo):
    out, _, _ = paired_demo
    photos = {}
    for name, record in sorted(files_of(out).items())[::20]:
        a, b = halves(os.path.join(out, name))
        np.testing.assert_array_equal(b, ink_remap(a), err_msg=name)
        photo = photos.setdefault(record["source"], package_photo(record["source"]))
        np.testing.assert_array_equal(a, crop_at(photo, record["box"], record["flip"], 64))


def test_test_photos_are_not_training_photos(paired_demo, unpaired_demo):
    for out, train_splits in ((paired_demo[0], ("train",)),
                              (unpaired_demo[0], ("trainA", "trainB"))):
        sources = {}
        for name, record in files_of(out).items():
            sources.setdefault(name.split("/")[0], set()).add(record["source"])
        train = set().union(*(sources[s] for s in train_splits))
        test = set().union(*(v for k, v in sources.items() if k.startswith("test")))
        assert train == set(demo_sets.TRAIN_PHOTOS) and test == set(demo_sets.TEST_PHOTOS)
        assert not train & test


def test_ink_remap_is_the_stated_formula():
    flat = np.full((12, 12, 3), (200, 100, 40), np.uint8)
    expected = np.rint(255 * (np.float32([40, 200, 100]) / 255) ** 0.8)  # R<-B, G<-R, B<-G
    np.testing.assert_array_equal(ink_remap(flat)[6, 6], expected)  # no edge: colour only
    step = flat.copy()
    step[:, 6:] = 255
    inked = ink_remap(step).astype(float)
    far, edge = inked[6, 0], inked[6, 5]
    assert (edge < 0.5 * far).all()  # a strong edge darkens by up to INK_STRENGTH
    assert (edge >= (1 - demo_sets.INK_STRENGTH) * far - 1).all()


def test_blue_tone_is_monotonic_and_never_clips():
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    toned = blue_tone(ramp)[0].astype(int)
    assert (np.diff(toned, axis=0) >= 0).all()
    assert toned.min() > 0 and toned.max() < 255  # invertible, up to rounding
    np.testing.assert_array_equal(toned[0], np.rint(255 * demo_sets.TONE_OFFSET))
    assert toned[255, 2] > toned[255, 1] > toned[255, 0]  # white turns blue


def test_unpaired_layout_and_known_translation(unpaired_demo):
    out, counts = unpaired_demo
    assert counts == {"trainA": 30, "trainB": 30, "testA": 8, "testB": 8}
    names = {split: [os.path.basename(p) for p in list_images(os.path.join(out, split))]
             for split in demo_sets.UNPAIRED_SPLITS}
    assert names["testA"] == names["testB"]  # sorted files pair up
    for name in names["testA"]:
        a = read_image(os.path.join(out, "testA", name))
        assert a.shape == (64, 64, 3)
        np.testing.assert_array_equal(read_image(os.path.join(out, "testB", name)), blue_tone(a))
    files = files_of(out)
    for name in names["trainB"][:5]:
        record = files[f"trainB/{name}"]
        crop = crop_at(package_photo(record["source"]), record["box"], record["flip"], 64)
        np.testing.assert_array_equal(read_image(os.path.join(out, "trainB", name)),
                                      blue_tone(crop))
    boxes = {split: {tuple(files[f"{split}/{n}"]["box"]) for n in names[split]}
             for split in ("trainA", "trainB")}
    assert not boxes["trainA"] & boxes["trainB"]  # unpaired: different crops


def test_the_sets_load_as_pix2pix_and_cyclegan_data(paired_demo, unpaired_demo):
    pairs = build_dataset({"name": "PairedDataset",
                           "dataroot": os.path.join(paired_demo[0], "test")})
    item = pairs[0]
    assert item["A"].shape == item["B"].shape == (3, 64, 64)
    a = np.rint((item["A"].transpose(1, 2, 0) + 1) * 127.5).astype(np.uint8)
    b = np.rint((item["B"].transpose(1, 2, 0) + 1) * 127.5).astype(np.uint8)
    np.testing.assert_array_equal(b, ink_remap(a))
    out = unpaired_demo[0]
    unpaired = build_dataset({"name": "UnpairedDataset", "is_train": False,
                              "dataroot_a": os.path.join(out, "testA"),
                              "dataroot_b": os.path.join(out, "testB")})
    assert len(unpaired) == 8
    item = unpaired[3]
    assert os.path.basename(item["A_path"]) == os.path.basename(item["B_path"])


def test_builds_are_deterministic_and_seeded(tmp_path):
    def build(folder, seed, n_train=6):
        demo_sets.build_paired_demo(str(folder), size=32, n_train=n_train, n_test=4,
                                    seed=seed, log=quiet)
        return {name: open(os.path.join(folder, name), "rb").read()
                for name in files_of(str(folder))}

    first, again = build(tmp_path / "a", 3), build(tmp_path / "b", 3)
    assert first == again
    assert build(tmp_path / "c", 4) != first
    more = build(tmp_path / "d", 3, n_train=9)  # the test split does not move
    assert {k: v for k, v in more.items() if k.startswith("test/")} == \
        {k: v for k, v in first.items() if k.startswith("test/")}


def test_rebuild_replaces_and_other_folders_are_refused(tmp_path):
    out = tmp_path / "set"
    demo_sets.build_unpaired_demo(str(out), size=32, n_train=2, n_test=2, log=quiet)
    (out / "trainA" / "stale.png").write_bytes(b"x")
    demo_sets.build_unpaired_demo(str(out), size=32, n_train=2, n_test=2, log=quiet)
    assert not (out / "trainA" / "stale.png").exists()
    with pytest.raises(DataError, match="holds the cyclegan demo set"):
        demo_sets.build_paired_demo(str(out), size=32, log=quiet)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(DataError, match="not written by prepare_data.py"):
        demo_sets.build_paired_demo(str(tmp_path / "mine"), size=32, log=quiet)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "manifest.json").write_text("[1, 2")
    with pytest.raises(DataError, match="manifest.json' cannot be read"):
        demo_sets.build_paired_demo(str(tmp_path / "odd"), size=32, log=quiet)


@pytest.mark.parametrize("size", [40, 16, 64.0, True])
def test_size_is_checked_before_anything_is_written(tmp_path, size):
    with pytest.raises(DataError, match="multiple of 16"):
        demo_sets.build_unpaired_demo(str(tmp_path / "x"), size=size, log=quiet)
    assert not (tmp_path / "x").exists()
