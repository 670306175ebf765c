"""Two unaligned image folders (CycleGAN, U-GAT-IT, photo2cartoon): PaddleGAN's
UnpairedDataset semantics with ppgan_lite's seeded randomness."""
import math

from ..utils.registry import DATASETS
from .base_dataset import BaseDataset, parse_max_size, scan_image_folder


@DATASETS.register()
class UnpairedDataset(BaseDataset):
    """Item ``{'A', 'B', 'A_path', 'B_path'}``; length ``max(len A, len B)``.

    As in PaddleGAN: sample ``i`` takes A image ``i % len A``; when training the B
    image is a random one (here drawn from the sample's rng, so it is reproducible),
    otherwise ``i % len B``. A and B get independent random crops and flips,
    because nothing pairs them (``paired_transforms = False``).
    """

    paired_transforms = False

    def __init__(self, dataroot_a, dataroot_b, max_size=math.inf, is_train=True,
                 preprocess=None):
        super().__init__()
        max_size = parse_max_size(max_size)
        self.dataroot_a, self.dataroot_b = dataroot_a, dataroot_b
        # both folders listed before either is checked: a missing one is named first
        paths_a = scan_image_folder(dataroot_a, "dataroot_a", max_size=max_size)
        paths_b = scan_image_folder(dataroot_b, "dataroot_b", max_size=max_size)
        self.paths_a = self.keep_readable(paths_a, dataroot_a, "dataroot_a")
        self.paths_b = self.keep_readable(paths_b, dataroot_b, "dataroot_b")
        self.is_train = is_train
        self.setup_preprocess(preprocess, default_keys=["A", "B"])

    def __len__(self):
        return max(len(self.paths_a), len(self.paths_b))

    def sample(self, index, rng):
        a = self.paths_a[index % len(self.paths_a)]
        if self.is_train:
            b = self.paths_b[int(rng.integers(len(self.paths_b)))]
        else:
            b = self.paths_b[index % len(self.paths_b)]
        return {"A_path": a, "B_path": b}
