import io
import os
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from ppgan_lite.utils.errors import DataError, ImageReadError
from ppgan_lite.utils.image_io import list_images, read_image, write_image


def _png_chunk(tag, data):
    return (struct.pack(">I", len(data)) + tag + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))


def bomb_png(width=30000, height=30000):
    """A valid-looking PNG header declaring ``width x height`` gray pixels, with a
    few rows of data: a few hundred bytes, never allocated."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b""))


def test_gray_png_replicated_to_rgb_or_kept_as_one_channel(tmp_path):
    gray = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10)
    path = str(tmp_path / "g.png")
    Image.fromarray(gray).save(path)
    rgb = read_image(path)
    assert rgb.shape == (12, 10, 3) and rgb.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(rgb[:, :, c], gray)
    one = read_image(path, channels=1)
    assert one.shape == (12, 10, 1)
    np.testing.assert_array_equal(one[:, :, 0], gray)
    assert read_image(path, channels=None).shape == (12, 10, 1)


def test_rgba_composited_on_white(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (10, 20, 30, 255)   # opaque: kept
    rgba[0, 1] = (10, 20, 30, 0)     # transparent: white
    rgba[1, 0] = (0, 0, 0, 128)      # half: mid gray
    path = str(tmp_path / "a.png")
    Image.fromarray(rgba, "RGBA").save(path)
    out = read_image(path)
    assert out[0, 0].tolist() == [10, 20, 30]
    assert out[0, 1].tolist() == [255, 255, 255]
    assert out[1, 0].tolist() == [127, 127, 127]  # 255 * (1 - 128/255)
    assert read_image(path, channels=1)[0, 1, 0] == 255


def test_palette_with_transparency_becomes_white(tmp_path):
    index = np.array([[0, 1], [1, 0]], np.uint8)
    im = Image.fromarray(index, "P")
    im.putpalette([200, 0, 0, 0, 0, 200] + [0] * 762)
    path = str(tmp_path / "p.png")
    im.save(path, transparency=1)  # palette entry 1 (blue) is transparent
    out = read_image(path)
    assert out[0, 0].tolist() == [200, 0, 0]
    assert out[0, 1].tolist() == [255, 255, 255]


def test_16bit_gray_png_scaled_not_clipped(tmp_path):
    values = np.array([[0, 1, 128, 255]], np.uint16) * 257  # 8-bit values in 16 bits
    path = str(tmp_path / "d.png")
    Image.fromarray(values).save(path)
    assert Image.open(path).mode.startswith("I")
    out = read_image(path)
    assert out[0, :, 0].tolist() == [0, 1, 128, 255]
    # what a plain convert does (the reason for this code): almost everything white
    assert np.asarray(Image.open(path).convert("RGB"))[0, 1:, 0].tolist() == [255, 255, 255]


def test_exif_orientation_applied(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = (255, 0, 0)  # left half red
    stored[:, 20:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = str(tmp_path / "r.jpg")
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    out = read_image(path)
    assert out.shape == (40, 20, 3)
    assert out[5, 10, 0] > 200 and out[5, 10, 2] < 60   # top is the old left: red
    assert out[35, 10, 2] > 200 and out[35, 10, 0] < 60  # bottom: blue


def test_cmyk_and_la_read_as_rgb(tmp_path):
    cmyk = Image.new("CMYK", (4, 3), (0, 255, 255, 0))  # red
    path = str(tmp_path / "c.jpg")
    cmyk.save(path, quality=100)
    out = read_image(path)
    assert out.shape == (3, 4, 3) and out[1, 1, 0] > 200 and out[1, 1, 1] < 60
    la = Image.fromarray(np.array([[[50, 255], [50, 0]]], np.uint8), "LA")
    la_path = str(tmp_path / "la.png")
    la.save(la_path)
    assert read_image(la_path)[0, :, 0].tolist() == [50, 255]


def _jpeg_bytes():
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def test_truncated_jpeg_is_an_error(tmp_path, monkeypatch):
    data = _jpeg_bytes()
    path = str(tmp_path / "cut.jpg")
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(ImageReadError) as err:
        read_image(path)
    message = str(err.value)
    assert path in message and "truncated" in message and "\n" not in message
    # even when another library switched PIL to silently accept truncation
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(ImageReadError):
        read_image(path)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_non_image_and_missing_files(tmp_path):
    path = str(tmp_path / "notes.png")
    with open(path, "w") as f:
        f.write("this is not a picture\n" * 10)
    with pytest.raises(ImageReadError, match="not an image file PIL can read") as err:
        read_image(path)
    # PIL's own text is the repr of the file object: the message names the path only
    assert str(err.value).startswith(f"cannot read image '{path}'")
    assert "<_io" not in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(str(tmp_path / "missing.png"))
    with pytest.raises(ImageReadError, match="'<bytes>': not an image file") as err:
        read_image(b"\x00\x01garbage")
    assert "<_io" not in str(err.value)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageReadError, match="it is a folder, not an image file"):
        read_image(str(tmp_path))


def test_decompression_bomb_refused_before_decoding(tmp_path):
    data = bomb_png()
    assert len(data) < 2000
    path = str(tmp_path / "bomb.png")
    with open(path, "wb") as f:
        f.write(data)
    start = time.perf_counter()
    with pytest.raises(ImageReadError) as err:
        read_image(path)
    assert time.perf_counter() - start < 1.0
    assert "30000x30000" in str(err.value) and "limit" in str(err.value)
    # our own limit also applies below PIL's threshold
    with pytest.raises(ImageReadError, match="2000x1000"):
        read_image(bomb_png(2000, 1000), max_pixels=1_000_000)
    assert Image.MAX_IMAGE_PIXELS == 89478485  # PIL's global left as it was


def test_bytes_array_and_pil_inputs():
    data = _jpeg_bytes()
    from_bytes = read_image(data)
    from_pil = read_image(Image.open(io.BytesIO(data)))
    np.testing.assert_array_equal(from_bytes, from_pil)
    arr = np.array([[0.0, 1.0]], np.float32)
    assert read_image(arr)[0, :, 0].tolist() == [0, 255]
    assert read_image(np.array([[65535]], np.uint16))[0, 0].tolist() == [255, 255, 255]
    luma = read_image(np.array([[[255, 0, 0]]], np.uint8), channels=1)
    assert luma.shape == (1, 1, 1) and luma[0, 0, 0] == 76  # 0.299 * 255
    with pytest.raises(ImageReadError, match="shape"):
        read_image(np.zeros((2, 2, 5), np.uint8))


def test_write_image_is_atomic_and_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    path = str(tmp_path / "sub" / "out.png")
    assert write_image(path, image) == path
    np.testing.assert_array_equal(read_image(path), image)
    write_image(path, image[:, :, 0])  # overwrite in place, gray
    np.testing.assert_array_equal(read_image(path, channels=1)[:, :, 0], image[:, :, 0])
    with pytest.raises(DataError, match="extension"):
        write_image(str(tmp_path / "sub" / "out.xyz"), image)
    assert sorted(os.listdir(tmp_path / "sub")) == ["out.png"]  # no temp file left


def test_list_images_sorted_filtered_recursive(tmp_path):
    for rel in ["b.PNG", "a.jpg", ".hidden.png", "notes.txt", "sub/c.jpeg", "sub/.x/d.png"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    names = [os.path.relpath(p, tmp_path) for p in list_images(tmp_path)]
    assert names == ["a.jpg", "b.PNG"]
    names = [os.path.relpath(p, tmp_path) for p in list_images(tmp_path, recursive=True)]
    assert names == ["a.jpg", "b.PNG", os.path.join("sub", "c.jpeg")]
    with pytest.raises(DataError, match="does not exist"):
        list_images(tmp_path / "nope")
    with pytest.raises(DataError, match="a.jpg' is a file, not a folder"):
        list_images(tmp_path / "a.jpg")
