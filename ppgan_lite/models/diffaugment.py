"""Differentiable augmentation of the discriminator's inputs (Zhao et al. 2020,
"Differentiable Augmentation for Data-Efficient GAN Training", DiffAugment).

The same random transforms are applied to real and generated images wherever D sees
them (its step, the generator's step and R1), so D cannot win by memorising a small
data set and G is never taught to draw the augmentation itself: the transforms are
differentiable, so G's gradient passes through them. The policies and their ranges
are the paper's official code's (``DiffAugment_pytorch.py``):

- ``color``: brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5);
- ``translation``: a shift of up to 1/8 of the size each way, zero fill;
- ``cutout``: a square of half the size, centred anywhere, set to zero.

Written with ops Paddle differentiates twice (R1 takes D's gradient w.r.t. the
un-augmented real image and then differentiates it): the shift is a product with
per-sample shift matrices rather than a gather, the cutout a mask.
All draws come from paddle's generator, so a checkpoint resumes the same ones.
"""
import paddle

from ..utils.errors import ConfigError

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy, who="model.diffaugment"):
    """'color,translation,cutout' (or a list of names) -> a tuple of names; '' / None
    -> (); an unknown name is one line that lists the known ones."""
    if policy in (None, "", False):
        return ()
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = tuple(str(n).strip() for n in names if str(n).strip())
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ConfigError(f"{who}: unknown polic{'ies' if len(unknown) > 1 else 'y'} "
                          f"{', '.join(unknown)}; use a comma-separated subset of "
                          f"{','.join(POLICIES)}")
    return names


def diff_augment(x, policy):
    """x [N, C, H, W] transformed by each policy in turn (one draw per sample)."""
    for name in parse_policy(policy):
        x = _FUNCTIONS[name](x)
    return x


def _uniform(n, low, high):
    return paddle.rand([n, 1, 1, 1]) * (high - low) + low


def rand_color(x):
    n = x.shape[0]
    return adjust_color(x, _uniform(n, -0.5, 0.5), _uniform(n, 0.0, 2.0),
                        _uniform(n, 0.5, 1.5))


def adjust_color(x, brightness, saturation, contrast):
    """x + brightness, then its distance to the per-pixel channel mean x saturation,
    then its distance to the per-image mean x contrast (each [N, 1, 1, 1])."""
    x = x + brightness
    mean = x.mean(axis=1, keepdim=True)
    x = (x - mean) * saturation + mean
    mean = x.mean(axis=[1, 2, 3], keepdim=True)
    return (x - mean) * contrast + mean


def rand_translation(x, ratio=0.125):
    """A shift of up to ``ratio`` of the size each way (official: int(size x ratio + 0.5))."""
    n, _, height, width = x.shape
    max_y, max_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    return translate(x, paddle.randint(-max_y, max_y + 1, [n]),
                     paddle.randint(-max_x, max_x + 1, [n]))


def _shift_matrices(shift, size, dtype):
    """[N, 1, size, size] 0/1 matrices M with (M @ v)[i] = v[i + shift] (0 outside)."""
    rows = paddle.arange(size).reshape([1, size, 1])
    cols = paddle.arange(size).reshape([1, 1, size])
    return (cols == rows + shift.reshape([-1, 1, 1])).astype(dtype).unsqueeze(1)


def translate(x, dy, dx):
    """out[n, :, i, j] = x[n, :, i + dy[n], j + dx[n]], zero outside the image."""
    rows = _shift_matrices(dy, x.shape[2], x.dtype)  # [N, 1, H, H]
    cols = _shift_matrices(dx, x.shape[3], x.dtype)  # [N, 1, W, W]
    return paddle.matmul(paddle.matmul(rows, x), cols, transpose_y=True)


def rand_cutout(x, ratio=0.5):
    """A (ratio H) x (ratio W) box centred at a random pixel (the official draw)."""
    n, _, height, width = x.shape
    box = (int(height * ratio + 0.5), int(width * ratio + 0.5))
    cy = paddle.randint(0, height + (1 - box[0] % 2), [n])
    cx = paddle.randint(0, width + (1 - box[1] % 2), [n])
    return cutout(x, cy, cx, box)


def cutout(x, cy, cx, box):
    """Zero rows cy - box_h // 2 .. + box_h - 1 and the same for columns, clipped."""
    height, width = x.shape[2], x.shape[3]
    ys = paddle.arange(height).reshape([1, height, 1]) - cy.reshape([-1, 1, 1]) + box[0] // 2
    xs = paddle.arange(width).reshape([1, 1, width]) - cx.reshape([-1, 1, 1]) + box[1] // 2
    inside = (ys >= 0) & (ys < box[0]) & (xs >= 0) & (xs < box[1])
    return x * (1.0 - inside.astype(x.dtype)).unsqueeze(1)


_FUNCTIONS = {"color": rand_color, "translation": rand_translation, "cutout": rand_cutout}
