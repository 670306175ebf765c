"""Images with multi-hot tag labels from a CSV file, for conditional GANs (the
anime-faces tutorial's ``tags.csv``).

Each line is ``filename,tags``. Tags are separated by ``;`` or ``|`` ("blue hair;red
eyes"); without a separator the field is matched against the vocabulary, longest
phrase first ("blue hair red eyes" -> "blue hair", "red eyes"); without a
vocabulary, the phrases the file spells out with separators elsewhere are matched, and
any other word is a tag of its own. A filename without extension finds its image by
extension (``0`` -> ``0.jpg``). The vocabulary comes from the config (fixing the label
order) or, sorted, from the file.
"""
import difflib
import os

import numpy as np

from ..utils.errors import DataError
from ..utils.image_io import IMAGE_EXTENSIONS
from ..utils.registry import DATASETS
from .base_dataset import DATA_HINT, BaseDataset

SEPARATORS = (";", "|")


def split_tags(field, vocabulary=None):
    """One CSV tags field -> list of tags (see the module docstring)."""
    field = field.strip()
    for sep in SEPARATORS:
        if sep in field:
            return [t.strip() for t in field.split(sep) if t.strip()]
    words = field.split()
    if not vocabulary:
        return words
    phrases = sorted({tuple(v.split()) for v in vocabulary}, key=len, reverse=True)
    tags, i = [], 0
    while i < len(words):
        for phrase in phrases:
            if tuple(words[i:i + len(phrase)]) == phrase:
                tags.append(" ".join(phrase))
                i += len(phrase)
                break
        else:
            tags.append(words[i])  # unknown: reported by the caller with its line
            i += 1
    return tags


def _find_image(dataroot, name):
    path = os.path.join(dataroot, name)
    if os.path.isfile(path):
        return path
    for ext in IMAGE_EXTENSIONS:
        if os.path.isfile(path + ext):
            return path + ext
    return None


@DATASETS.register()
class TagsDataset(BaseDataset):
    """Item ``{'A', 'A_path', 'label'}`` with ``label`` a float32 multi-hot vector
    over ``vocabulary`` (``self.classes``)."""

    def __init__(self, dataroot, tags_file, vocabulary=None, preprocess=None,
                 skip_header=None):
        super().__init__()
        if not os.path.isdir(dataroot):
            raise DataError(f"dataroot: directory '{dataroot}' does not exist. {DATA_HINT}")
        if not os.path.isfile(tags_file):
            raise DataError(f"tags_file: '{tags_file}' does not exist; it lists "
                            f"'filename,tag1;tag2' per line. {DATA_HINT}")
        rows = self._read_rows(tags_file, skip_header)
        known = vocabulary or self._separated_tags(rows)
        parsed = [(line, name, split_tags(field, known)) for line, name, field in rows]
        self.classes = list(vocabulary) if vocabulary else sorted(
            {t for _, _, tags in parsed for t in tags})
        index = {t: i for i, t in enumerate(self.classes)}
        self.paths, self.labels = [], []
        for line, name, tags in parsed:
            for tag in tags:
                if tag not in index:
                    close = difflib.get_close_matches(tag, self.classes, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise DataError(f"{tags_file}:{line}: unknown tag '{tag}'{hint}; add it "
                                    f"to the config's vocabulary or fix the file")
            path = _find_image(dataroot, name)
            if path is None:
                raise DataError(f"{tags_file}:{line}: image '{name}' is not in '{dataroot}'")
            vec = np.zeros(len(self.classes), np.float32)
            vec[[index[t] for t in tags]] = 1.0
            self.paths.append(path)
            self.labels.append(vec)
        if not self.paths:
            raise DataError(f"tags_file: '{tags_file}' lists no images")
        self.check_readable(self.paths, dataroot, "dataroot")
        self.setup_preprocess(preprocess, default_keys=["A"])

    @staticmethod
    def _separated_tags(rows):
        """Tags the file spells out with separators: the phrases to match elsewhere."""
        return sorted({t for _, _, field in rows if any(sep in field for sep in SEPARATORS)
                       for t in split_tags(field)})

    @staticmethod
    def _read_rows(tags_file, skip_header):
        rows = []
        with open(tags_file, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if "," not in line:
                    raise DataError(f"{tags_file}:{line_no}: expected 'filename,tags', "
                                    f"got '{line[:60]}'")
                name, field = line.split(",", 1)
                rows.append((line_no, name.strip(), field))
        first = rows[0][1].lower() if rows else ""
        if skip_header or (skip_header is None and first in ("id", "file", "filename",
                                                              "image", "name")):
            rows = rows[1:]
        return rows

    def __len__(self):
        return len(self.paths)

    def sample(self, index, rng):
        return {"A_path": self.paths[index], "label": self.labels[index]}
