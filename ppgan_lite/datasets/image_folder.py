"""Data sets over one folder of images: PaddleGAN's SingleDataset, and an
ImageFolderDataset whose sub-folders can be the class labels."""
import math
import os

from ..utils.errors import DataError
from ..utils.registry import DATASETS
from .base_dataset import BaseDataset, parse_max_size


@DATASETS.register()
class SingleDataset(BaseDataset):
    """Every image under ``dataroot`` (recursive, sorted); item ``{'A', 'A_path'}``.

    Without ``preprocess`` an image is loaded, made CHW and scaled to [-1, 1].
    """

    def __init__(self, dataroot, preprocess=None, max_size=math.inf):
        super().__init__()
        self.dataroot = dataroot
        self.paths = self.scan_folder(dataroot, "dataroot", max_size=parse_max_size(max_size))
        self.setup_preprocess(preprocess, default_keys=["A"])

    def __len__(self):
        return len(self.paths)

    def sample(self, index, rng):
        return {"A_path": self.paths[index]}


@DATASETS.register()
class ImageFolderDataset(BaseDataset):
    """Every image under ``dataroot``; item ``{'A', 'A_path', 'label'}``.

    ``classes`` are the sorted names of the sub-folders that hold images. With
    ``labels_from_subfolders`` an image's label is the index of its top-level
    sub-folder in ``classes`` (images directly in ``dataroot`` are then an error);
    without it every label is 0.
    """

    def __init__(self, dataroot, preprocess=None, labels_from_subfolders=False,
                 max_size=math.inf):
        super().__init__()
        self.dataroot = dataroot
        self.paths = self.scan_folder(dataroot, "dataroot", max_size=parse_max_size(max_size))
        relative = [os.path.relpath(p, dataroot) for p in self.paths]
        tops = [r.split(os.sep, 1)[0] if os.sep in r else None for r in relative]
        self.classes = sorted({t for t in tops if t is not None})
        self.labels_from_subfolders = labels_from_subfolders
        if labels_from_subfolders:
            loose = [r for r, t in zip(relative, tops) if t is None]
            if loose:
                raise DataError(
                    f"dataroot: '{dataroot}' has {len(loose)} images outside class "
                    f"sub-folders (e.g. '{loose[0]}'); move them into a sub-folder per "
                    f"class or set labels_from_subfolders: false")
            index_of = {name: i for i, name in enumerate(self.classes)}
            self.labels = [index_of[t] for t in tops]
        else:
            self.labels = [0] * len(self.paths)
        self.setup_preprocess(preprocess, default_keys=["A"])

    def __len__(self):
        return len(self.paths)

    def sample(self, index, rng):
        return {"A_path": self.paths[index], "label": self.labels[index]}
