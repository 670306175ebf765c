"""Unreadable files are found when a folder is scanned: counted in one warning,
left out of the data set, an error when none is left."""
import io
import logging
import os

import numpy as np
import pytest
from PIL import Image

from ppgan_lite.datasets import build_dataset
from ppgan_lite.datasets.probe import unreadable_reason
from ppgan_lite.utils.errors import DataError

from datasets_testutils import garble_middle, make_images, truncate_file


def encoded(fmt, size=(12, 10), **options):
    rgb = np.random.default_rng(0).integers(0, 256, size[::-1] + (3,), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, **options)
    return buf.getvalue()


@pytest.mark.parametrize("name, data", [
    ("ok.png", encoded("PNG")),
    ("ok.jpg", encoded("JPEG")),
    ("jpeg_named.png", encoded("JPEG")),  # the content decides, not the name
    ("trailer.jpg", encoded("JPEG") + b"\x00" * 100),  # bytes after the end marker
    ("padded.png", encoded("PNG") + b"\x00" * 8),
    ("ok.bmp", encoded("BMP")),
    ("ok.webp", encoded("WEBP")),
    ("ok.tif", encoded("TIFF")),
])
def test_readable_files_pass(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    assert unreadable_reason(str(tmp_path / name)) is None


@pytest.mark.parametrize("name, data, reason", [
    ("empty.png", b"", "the file is empty"),
    ("notes.png", b"not an image at all", "not an image file"),
    ("cut.png", encoded("PNG", (64, 64))[:300], "cut short"),
    ("cut.jpg", encoded("JPEG", (64, 64))[:400], "cut short"),
    ("header.bmp", encoded("BMP")[:10], "not an image file"),
])
def test_unreadable_files_give_a_reason(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    found = unreadable_reason(str(tmp_path / name))
    assert found is not None and reason in found and "\n" not in found


def test_unpaired_scan_reports_each_folder_once(tmp_path, caplog):
    a = make_images(tmp_path / "trainA", 5, size=(8, 8), ext="jpg")
    make_images(tmp_path / "trainB", 3, size=(8, 8), seed=1)
    truncate_file(a[1])
    (tmp_path / "trainA" / "zz.png").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        ds = build_dataset({"name": "UnpairedDataset", "dataroot_a": str(tmp_path / "trainA"),
                            "dataroot_b": str(tmp_path / "trainB")})
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [f"dataroot_a: 2 of 6 files cannot be read (first: 001.jpg: "
                        f"{unreadable_reason(a[1])}); they are left out"]
    assert ds.paths_a == [a[0]] + a[2:] and len(ds) == 4
    assert ds.skipped == [a[1], str(tmp_path / "trainA" / "zz.png")]


def test_none_readable_is_an_error_naming_the_first(tmp_path):
    (tmp_path / "a.png").write_bytes(b"garbage")
    (tmp_path / "b.jpg").write_bytes(b"")
    with pytest.raises(DataError) as err:
        build_dataset({"name": "PairedDataset", "dataroot": str(tmp_path)})
    message = str(err.value)
    assert message.startswith("dataset.dataroot: none of the 2 image files in ")
    assert "(first: a.png: not an image file" in message and "data/README.md" in message


def test_a_file_that_passes_the_check_but_not_decoding_fails_the_build_when_alone(tmp_path):
    """The first file left is decoded in full: a folder whose only file is damaged
    inside still fails at build time, not at the first batch."""
    path = make_images(tmp_path, 1, size=(16, 16))[0]
    garble_middle(path)
    assert unreadable_reason(path) is None
    with pytest.raises(DataError, match="none of the 1 image files"):
        build_dataset({"name": "SingleDataset", "dataroot": str(tmp_path)})


def test_scan_reads_only_the_ends_of_healthy_files(tmp_path, monkeypatch):
    """The check never decodes a healthy PNG or JPEG; only the build's one last
    check does (of the first file)."""
    import ppgan_lite.datasets.base_dataset as base_dataset
    import ppgan_lite.datasets.probe as probe

    make_images(tmp_path, 6, size=(8, 8))
    make_images(tmp_path, 6, size=(8, 8), ext="jpg", seed=1)
    decoded = []

    def counting(real):
        def read(path, *args, **kwargs):
            decoded.append(os.path.basename(path))
            return real(path, *args, **kwargs)
        return read

    monkeypatch.setattr(probe, "read_image", counting(probe.read_image))
    monkeypatch.setattr(base_dataset, "read_image", counting(base_dataset.read_image))
    ds = build_dataset({"name": "SingleDataset", "dataroot": str(tmp_path)})
    assert len(ds) == 12 and decoded == ["000.jpg"]
