"""One folder of A|B side-by-side images (pix2pix: facades, cityscapes, maps, ...):
PaddleGAN's PairedDataset with ppgan_lite's seeded randomness."""
import math

from ..utils.registry import DATASETS
from .base_dataset import BaseDataset, default_paired_preprocess, parse_max_size


@DATASETS.register()
class PairedDataset(BaseDataset):
    """Item ``{'pair_path'}`` before preprocessing, as PaddleGAN's
    (paired_dataset.py:35-46): every image under ``dataroot`` (recursive, sorted).

    PaddleGAN's configs load it with ``LoadImageFromFile(key: pair)`` and cut it with
    ``SplitPairedImage(key: pair, paired_keys: [A, B])`` into ``A`` (left half) and
    ``B`` (right half), both with the pair's path as ``A_path``/``B_path``; without
    ``preprocess`` that is done here, then CHW and [-1, 1]. The random crops and
    flips of its ``Transforms`` draw once per sample for A and B alike
    (``paired_transforms``), so the halves stay aligned whichever crop names the
    config uses.
    """

    paired_transforms = True

    def __init__(self, dataroot, preprocess=None, max_size=math.inf):
        super().__init__()
        self.dataroot = dataroot
        self.paths = self.scan_folder(dataroot, "dataroot", max_size=parse_max_size(max_size))
        if preprocess is None:
            preprocess = default_paired_preprocess()
        self.setup_preprocess(preprocess)

    def __len__(self):
        return len(self.paths)

    def sample(self, index, rng):
        return {"pair_path": self.paths[index]}
