"""ResnetUGATITP2CGenerator(recompute=True): the hourglasses run again in backward
instead of keeping their maps; the output and every gradient stay those of the plain
net (weights, keys and numbers are PaddleGAN's either way)."""
import numpy as np

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)
import paddle
from ppgan_lite.models.generators.resnet_ugatit_p2c import ResnetUGATITP2CGenerator


def _step(recompute):
    paddle.seed(0)
    net = ResnetUGATITP2CGenerator(ngf=4, img_size=32, n_blocks=1, recompute=recompute)
    net.train()
    x = paddle.to_tensor(np.random.default_rng(0).uniform(-1, 1, (2, 3, 32, 32))
                         .astype("float32"), stop_gradient=False)
    out, cam, heat = net(x)
    (out.square().mean() + cam.sum() + heat.mean()).backward()
    grads = {k: p.grad.numpy() for k, p in net.named_parameters()}
    return net, out.numpy(), x.grad.numpy(), grads


def test_recompute_keeps_output_and_gradients():
    plain_net, plain_out, plain_xg, plain = _step(False)
    net, out, xg, grads = _step(True)
    assert sorted(net.state_dict()) == sorted(plain_net.state_dict())
    np.testing.assert_array_equal(out, plain_out)
    np.testing.assert_allclose(xg, plain_xg, rtol=1e-4, atol=1e-6 * np.abs(plain_xg).max())
    assert len(grads) == len(plain) > 100
    # float32 sums taken in another order: differences relative to the net's largest
    # gradient (biases ahead of an instance norm have ~0 gradient, all rounding noise)
    scale = max(np.abs(g).max() for g in plain.values())
    for key, g in plain.items():
        np.testing.assert_allclose(grads[key], g, rtol=1e-4, atol=1e-5 * scale, err_msg=key)
    hourglass = "DownBlock.4.HG.0.ConvBlockskip1.conv_block1.3.weight"
    assert np.abs(plain[hourglass]).max() > 1e-4  # the recomputed part does learn


def test_recompute_is_off_at_test_time_and_by_default():
    assert not ResnetUGATITP2CGenerator(ngf=4, img_size=32, n_blocks=1).DownBlock[4].recompute
    net = ResnetUGATITP2CGenerator(ngf=4, img_size=32, n_blocks=1, recompute=True)
    net.eval()
    with paddle.no_grad():
        out, _, _ = net(paddle.zeros([1, 3, 32, 32]))
    assert out.shape == [1, 3, 32, 32]
