import numpy as np
import pytest
from PIL import Image

from ppgan_lite.datasets.tags_dataset import TagsDataset, split_tags
from ppgan_lite.utils.errors import DataError


def test_split_tags_by_separator_vocabulary_or_words():
    assert split_tags("blue hair;red eyes") == ["blue hair", "red eyes"]
    assert split_tags(" blue hair | red eyes ") == ["blue hair", "red eyes"]
    vocab = ["blue hair", "red eyes", "aqua hair", "long blue hair"]
    assert split_tags("long blue hair red eyes", vocab) == ["long blue hair", "red eyes"]
    assert split_tags("smile happy") == ["smile", "happy"]


def make(tmp_path, lines, names=("0.jpg", "1.png", "2.jpg")):
    for name in names:
        Image.new("RGB", (8, 8), (200, 10, 10)).save(tmp_path / name)
    tags = tmp_path / "tags.csv"
    tags.write_text("\n".join(lines) + "\n")
    return str(tmp_path), str(tags)


def test_multi_hot_labels_with_vocabulary_order(tmp_path):
    root, tags = make(tmp_path, ["id,tags", "0,blue hair red eyes", "1.png,aqua hair;red eyes",
                                 "2,blue hair"])
    vocab = ["aqua hair", "blue hair", "red eyes"]
    ds = TagsDataset(root, tags, vocabulary=vocab)
    assert ds.classes == vocab and len(ds) == 3
    np.testing.assert_array_equal(ds.labels[0], [0, 1, 1])
    np.testing.assert_array_equal(ds.labels[1], [1, 0, 1])
    item = ds[0]
    assert item["A"].shape == (3, 8, 8) and item["label"].dtype == np.float32


def test_vocabulary_from_file_when_not_given(tmp_path):
    root, tags = make(tmp_path, ["0,blue hair;red eyes", "1.png,red eyes", "2,smile"])
    assert TagsDataset(root, tags).classes == ["blue hair", "red eyes", "smile"]


@pytest.mark.parametrize("lines, message", [
    (["0,blue hair;red eys"], "tags.csv:1: unknown tag 'red eys' (did you mean 'red eyes'?)"),
    (["0,blue hair", "7,red eyes"], "tags.csv:2: image '7' is not in"),
    (["0 blue hair"], "expected 'filename,tags'"),
])
def test_bad_tags_name_the_line(tmp_path, lines, message):
    root, tags = make(tmp_path, lines)
    with pytest.raises(DataError) as err:
        TagsDataset(root, tags, vocabulary=["blue hair", "red eyes"])
    assert message in str(err.value)


def test_missing_files_are_clear(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        TagsDataset(str(tmp_path / "nope"), str(tmp_path / "tags.csv"))
    with pytest.raises(DataError, match="tags_file"):
        TagsDataset(str(tmp_path), str(tmp_path / "tags.csv"))
