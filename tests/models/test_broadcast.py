"""The fast-path broadcasts give the plain broadcasts' values, gradients and second
derivatives (R1 and the WGAN-GP penalty differentiate through them twice)."""
import numpy as np
import paddle

from ppgan_lite.models.layers.broadcast import add_channel_bias, like


def _tensor(shape, seed):
    t = paddle.to_tensor(np.random.RandomState(seed).randn(*shape).astype("float32"))
    t.stop_gradient = False
    return t


def _second_order(f, x, y):
    """sum(grad_x(f(x, y)) ** 2) differentiated again: (value, dx, dy)."""
    out = f(x, y)
    g, = paddle.grad((out * out).sum(), x, create_graph=True)
    (g * g).sum().backward()
    return out.numpy(), x.grad.numpy(), y.grad.numpy()


def test_add_channel_bias_equals_the_plain_broadcast():
    plain = _second_order(lambda x, b: (x + b.reshape([1, -1, 1, 1])) ** 2,
                          _tensor([4, 3, 5, 5], 0), _tensor([3], 1))
    fast = _second_order(lambda x, b: add_channel_bias(x, b) ** 2,
                         _tensor([4, 3, 5, 5], 0), _tensor([3], 1))
    for a, b in zip(plain, fast):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert add_channel_bias(_tensor([4, 3], 0), _tensor([3], 1)).shape == [4, 3]


def test_like_equals_the_plain_broadcast_over_middle_and_leading_axes():
    for shape in ([4, 1, 5, 5], [1, 3, 5, 5]):
        plain = _second_order(lambda x, n: (x * n) ** 2, _tensor([4, 3, 5, 5], 2),
                              _tensor(shape, 3))
        fast = _second_order(lambda x, n: (x * like(n, x)) ** 2, _tensor([4, 3, 5, 5], 2),
                             _tensor(shape, 3))
        for a, b in zip(plain, fast):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
