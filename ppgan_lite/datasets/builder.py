"""Build a data set and its loader from the ``dataset.train`` / ``dataset.test`` config.

The loader is deterministic so that a run can resume exactly: the sample order of
an epoch is a permutation drawn from ``np.random.default_rng([seed, epoch])``, each
sample's augmentation from ``[seed, epoch, index]`` (see base_dataset.py), and the
sampler yields ``(epoch, index)`` pairs, so worker processes need no shared state
and ``num_workers`` does not change a single pixel. ``set_epoch(e, skip_batches=k)``
resumes in the middle of epoch ``e``.
"""
import inspect
import numbers
import re

import numpy as np
import paddle

from ..utils import errors
from ..utils.errors import ConfigError, DataError
from ..utils.registry import DATASETS, build

LOADER_KEYS = ("batch_size", "num_workers", "shuffle", "drop_last", "use_shared_memory")


def _located(where, error):
    """Prefix a dataset's message with its config location, once."""
    message = str(error)
    if message.startswith(where) or f"(at {where}" in message:
        return message
    if re.match(r"^[A-Za-z_][\w\[\]\.]*:", message):  # "dataroot: ..." -> "dataset.train.dataroot: ..."
        return f"{where}.{message}"
    return f"{where}: {message}"


def build_dataset(cfg, where="dataset"):
    """A data set from its config (loader keys such as ``batch_size`` are ignored).

    Everything a data set can check without training, it checks here: missing
    folders, empty or unreadable folders, bad transform names and arguments.
    """
    if not isinstance(cfg, dict) or "name" not in cfg:
        raise ConfigError(f"{where} needs a mapping with a 'name' key, got {cfg!r}")
    cfg = {k: v for k, v in cfg.items() if k not in LOADER_KEYS}
    cls = DATASETS.get(cfg["name"], where)
    required = [p.name for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.default is p.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    missing = [name for name in required if name not in cfg]
    if missing:
        raise ConfigError(f"{where}: {cfg['name']} needs {', '.join(missing)}")
    try:
        return build(cfg, DATASETS, where)
    except (ConfigError, DataError) as e:
        raise type(e)(_located(where, e)) from None


def _positive_int(value, name, where, allow_zero=False):
    low = 0 if allow_zero else 1
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ConfigError(f"{where}.{name} must be {kind} int, got {value!r}")
    return int(value)


def build_dataloader(cfg, is_train=True, seed=0, distributed=False, where=None):
    """``DataLoader`` for ``cfg`` (the ``dataset.train`` or ``dataset.test`` dict).

    Pops ``batch_size`` (1), ``num_workers`` (0), ``shuffle`` (is_train),
    ``drop_last`` (is_train, as PaddleGAN) and ``use_shared_memory`` (True); the
    rest builds the data set. ``distributed`` shards every epoch's order by
    paddle.distributed rank: disjoint, equal-length shards (the last
    ``len % world_size`` samples of each epoch's order are left out).
    """
    where = where or ("dataset.train" if is_train else "dataset.test")
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(cfg).__name__}")
    batch_size = _positive_int(cfg.get("batch_size", 1), "batch_size", where)
    num_workers = _positive_int(cfg.get("num_workers", 0), "num_workers", where, allow_zero=True)
    shuffle = bool(cfg.get("shuffle", is_train))
    drop_last = bool(cfg.get("drop_last", is_train))
    use_shared_memory = bool(cfg.get("use_shared_memory", True))
    dataset = build_dataset(cfg, where)
    rank, world_size = 0, 1
    if distributed:
        rank, world_size = paddle.distributed.get_rank(), paddle.distributed.get_world_size()
    sampler = EpochBatchSampler(len(dataset), batch_size, shuffle, drop_last, seed,
                                rank, world_size)
    if len(sampler) == 0:
        raise DataError(
            f"{where}: {len(dataset)} samples give no batch of {batch_size}"
            + (f" on each of {world_size} ranks" if world_size > 1 else "")
            + "; lower batch_size or set drop_last: false")
    return DataLoader(dataset, sampler, num_workers, use_shared_memory)


class EpochBatchSampler(paddle.io.Sampler):
    """Batches of ``(epoch, index)`` for the epoch and skip set by ``DataLoader``."""

    def __init__(self, size, batch_size, shuffle, drop_last, seed, rank=0, world_size=1):
        super().__init__()
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, {world_size})")
        self.size, self.batch_size = size, batch_size
        self.shuffle, self.drop_last, self.seed = shuffle, drop_last, seed
        self.rank, self.world_size = rank, world_size
        self.epoch, self.skip_batches = 0, 0

    def indices(self, epoch):
        """This rank's sample indices of ``epoch``, in order."""
        if self.shuffle:
            order = np.random.default_rng([int(self.seed), int(epoch)]).permutation(self.size)
        else:
            order = np.arange(self.size)
        per_rank = self.size // self.world_size
        return order[:per_rank * self.world_size][self.rank::self.world_size]

    def batches(self, epoch):
        indices = self.indices(epoch).tolist()
        batches = [indices[i:i + self.batch_size] for i in range(0, len(indices), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        return batches

    def __iter__(self):
        epoch = self.epoch
        # computed now, not lazily: a later set_epoch must not change a running pass
        batches = self.batches(epoch)[self.skip_batches:]
        return iter([[(epoch, i) for i in batch] for batch in batches])

    def __len__(self):
        per_rank = self.size // self.world_size
        full, rest = divmod(per_rank, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)


class DataLoader:
    """Iterate batches: image keys -> float32 NCHW tensors, ``label`` -> int64
    tensor, ``*_path`` -> list of str.

    Each pass uses the epoch given by ``set_epoch`` (and skips ``skip_batches``
    once); without a call the next pass is the next epoch, so a plain
    ``for epoch ...: for batch in loader`` still sees a new order every epoch.
    """

    def __init__(self, dataset, sampler, num_workers=0, use_shared_memory=True):
        self.dataset = dataset
        self.sampler = sampler
        self.dataset.seed = sampler.seed
        self.num_workers = num_workers
        self.epoch = None  # the epoch of the current (or last) pass
        self._next = (0, 0)
        # Without workers we iterate here rather than through paddle.io.DataLoader:
        # its single-process mode loads in a thread that swallows exceptions, so a
        # DataError in a sample would hang training instead of stopping it.
        self._loader = None if num_workers == 0 else paddle.io.DataLoader(
            _ErrorsAsData(dataset), batch_sampler=sampler, collate_fn=_collate_or_error,
            num_workers=num_workers, use_shared_memory=use_shared_memory, return_list=True)

    @property
    def batch_size(self):
        return self.sampler.batch_size

    def set_epoch(self, epoch, skip_batches=0):
        if not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
        if not isinstance(skip_batches, numbers.Integral) or skip_batches < 0:
            raise ValueError(f"skip_batches must be a non-negative int, got {skip_batches!r}")
        self._next = (int(epoch), int(skip_batches))

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        epoch, skip = self._next
        self.sampler.epoch, self.sampler.skip_batches = epoch, skip
        self.epoch = epoch
        self._next = (epoch + 1, 0)
        if self._loader is not None:
            return self._worker_batches(iter(self._loader))
        return self._serial_batches(iter(self.sampler))

    @staticmethod
    def _worker_batches(batches):
        # A pass left early (an error, a ``next(iter(loader))``, a break) stops its
        # worker processes here, when the pass ends or is dropped, instead of at
        # interpreter exit, where their logging fails with "--- Logging error ---".
        try:
            for batch in batches:
                if _ERROR_KEY in batch:
                    name, message = batch[_ERROR_KEY]
                    raise getattr(errors, name, DataError)(message)
                yield batch
        finally:
            shutdown = getattr(batches, "_try_shutdown_all", None)
            if shutdown is not None:
                shutdown()

    def _serial_batches(self, batches):
        for keys in batches:
            batch = collate([self.dataset[key] for key in keys])
            yield {k: paddle.to_tensor(v) if isinstance(v, np.ndarray) else v
                   for k, v in batch.items()}


def collate(samples):
    """Sample dicts -> one batch dict of numpy arrays (paddle makes them tensors)
    and lists (strings and anything else)."""
    batch = {}
    for key in samples[0]:
        if any(key not in s for s in samples):
            raise DataError(f"samples of one batch differ in keys: '{key}' is missing in some")
        values = [s[key] for s in samples]
        first = values[0]
        if isinstance(first, np.ndarray):
            shapes = sorted({v.shape for v in values})
            if len(shapes) > 1:
                raise DataError(
                    f"cannot batch '{key}': shapes {shapes[0]} and {shapes[1]} differ; add "
                    f"a Resize or CenterCrop to the preprocess, or use batch_size: 1")
            stacked = np.stack(values)
            if stacked.dtype.kind == "f" or first.ndim == 3:
                stacked = stacked.astype(np.float32)  # images
            elif stacked.dtype.kind in "iub":
                stacked = stacked.astype(np.int64)
            batch[key] = stacked
        elif isinstance(first, (numbers.Integral, np.bool_)):
            batch[key] = np.asarray(values, dtype=np.int64)
        elif isinstance(first, numbers.Real):
            batch[key] = np.asarray(values, dtype=np.float32)
        else:
            batch[key] = list(values)
    return batch


# A paddle worker's exception reaches the main process as a SystemError ("blocking
# queue is killed") with the message only printed; our errors travel as data
# instead, so the user gets the same one-line DataError as without workers.
_ERROR_KEY = "__ppgan_lite_error__"


class _ErrorsAsData(paddle.io.Dataset):
    def __init__(self, dataset):
        super().__init__()
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, key):
        try:
            return self.dataset[key]
        except errors.PPGanLiteError as e:
            return e


def _collate_or_error(samples):
    failed = [s for s in samples if isinstance(s, errors.PPGanLiteError)]
    try:
        if failed:
            raise failed[0]
        return collate(samples)
    except errors.PPGanLiteError as e:
        # paddle's worker pipeline stalls on a batch without any array in it
        return {_ERROR_KEY: [type(e).__name__, str(e)], "_": np.zeros(1, np.float32)}
