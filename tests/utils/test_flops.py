import paddle

from ppgan_lite.utils.flops import count_macs, training_flops


def test_macs_of_conv_transposed_conv_and_linear_on_the_shapes_used():
    net = paddle.nn.Sequential(paddle.nn.Conv2D(3, 8, 3, padding=1),
                               paddle.nn.Conv2DTranspose(8, 4, 4, stride=2, padding=1),
                               paddle.nn.Flatten(), paddle.nn.Linear(4 * 16 * 16, 10))
    with count_macs([net]) as counter:
        net(paddle.zeros([2, 3, 8, 8]))
    conv = 2 * 8 * 8 * 8 * (3 * 9)          # outputs x (in_channels x kernel)
    convt = (2 * 8 * 8 * 8) * (4 * 16)      # inputs x (out_channels x kernel)
    linear = 2 * 10 * 1024
    assert counter["macs"] == conv + convt + linear
    assert training_flops(counter["macs"]) == 6 * (conv + convt + linear)
    net(paddle.zeros([2, 3, 8, 8]))  # hooks are gone after the block
    assert counter["macs"] == conv + convt + linear
