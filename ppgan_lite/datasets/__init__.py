"""Data sets, transforms and the deterministic loader.

Registration is explicit: each module below registers its classes on import.
"""
from . import transforms  # noqa: F401  (TRANSFORMS)
from . import preprocess  # noqa: F401  (PREPROCESS steps)
from . import image_folder  # noqa: F401  (SingleDataset, ImageFolderDataset)
from . import unpaired_dataset  # noqa: F401  (UnpairedDataset)
from . import paired_dataset  # noqa: F401  (PairedDataset)
from . import builtin  # noqa: F401  (LFWFacesDataset, MNISTDataset)
from .builder import DataLoader, build_dataloader, build_dataset  # noqa: F401
from . import tags_dataset  # noqa: F401  (TagsDataset)
from . import digits  # noqa: F401  (DigitsDataset)
