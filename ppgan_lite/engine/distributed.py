"""Multi-process training under ``python -m paddle.distributed.launch``.

Gradients are averaged across ranks inside each optimizer's ``step`` (one coalesced
all-reduce per step) instead of by wrapping nets in ``paddle.DataParallel``: a GAN
iteration runs several forwards and backwards per net (U-GAT-IT calls each generator
three times, D's loss must not reach G), which DataParallel's per-forward reducer does
not model; averaging exactly the gradients an optimizer is about to apply is the same
maths for every model with no special cases.

Every rank starts from rank 0's weights, sees its own shard of each epoch and draws
its own noise; rank 0 alone writes logs, pictures and checkpoints.
"""
import numpy as np
import paddle
import paddle.distributed as dist


def world():
    """(rank, world size); (0, 1) outside a launcher."""
    size = dist.get_world_size()
    return (dist.get_rank(), size) if size > 1 else (0, 1)


def setup():
    rank, size = world()
    if size > 1:
        dist.init_parallel_env()
    return rank, size


def broadcast_nets(nets, src=0):
    """Copy rank ``src``'s parameters and buffers (BatchNorm statistics) to all ranks."""
    for net in nets.values():
        for tensor in list(net.parameters()) + list(net.buffers()):
            dist.broadcast(tensor, src=src)


def weights_checksum(nets):
    """Sum of every trainable parameter: equal on all ranks while they are in sync."""
    total = 0.0
    for net in nets.values():
        for p in net.parameters():
            if p.trainable:
                total += float(np.asarray(p.numpy(), dtype=np.float64).sum())
    return total


def all_gather(obj):
    out = []
    dist.all_gather_object(out, obj)
    return out


def any_rank(flags):
    """Element-wise OR of small integer flags across ranks (one all-reduce)."""
    t = paddle.to_tensor(np.asarray(flags, dtype="int32"))
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.numpy()]


class GradientAveragingOptimizer:
    """Wraps a paddle optimizer: ``step`` first averages the gradients of its
    parameters across ranks (one flat buffer, one all-reduce), then steps."""

    def __init__(self, optimizer, world_size):
        self._opt = optimizer
        self._world = world_size

    def step(self):
        params = [p for p in self._opt._parameter_list
                  if not p.stop_gradient and p.grad is not None]
        if params:
            flat = paddle.concat([p.grad.reshape([-1]) for p in params])
            dist.all_reduce(flat)
            flat = flat / self._world
            offset = 0
            for p in params:
                n = int(np.prod(p.grad.shape))
                p.grad.set_value(flat[offset:offset + n].reshape(p.grad.shape))
                offset += n
        self._opt.step()

    def __getattr__(self, name):
        return getattr(self._opt, name)
