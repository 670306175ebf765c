"""check_data_fits: the images a data set gives against the ones a model takes."""
import numpy as np
import pytest

from ppgan_lite.engine.checks import check_data_fits
from ppgan_lite.models.base_model import NetInput
from ppgan_lite.utils.errors import ConfigError


class _Model:
    def __init__(self, channels, size, keeps_first_channels):
        self.channels, self.size = channels, size
        self.keeps_first_channels = keeps_first_channels

    def batch_inputs(self):
        return (NetInput("A", "image", (self.channels, self.size, self.size)),)


def _data(c, h, w):
    return [{"A": np.zeros((c, h, w), np.float32)}]


def test_gray_model_takes_three_channel_reads_when_it_keeps_the_first():
    # PaddleGAN's DCGAN MNIST recipe: 1-channel nets, PNGs read as 3 channels
    check_data_fits(_Model(1, 64, True), _data(3, 64, 64), "dataset.train")


def test_extra_channels_are_refused_where_the_model_does_not_drop_them():
    with pytest.raises(ConfigError, match="gives 'A' images of 3x64x64 .* takes 1x64x64"):
        check_data_fits(_Model(1, 64, False), _data(3, 64, 64), "dataset.train")


def test_keeping_channels_does_not_excuse_a_wrong_size_or_too_few_channels():
    with pytest.raises(ConfigError, match="images of 3x28x28"):
        check_data_fits(_Model(1, 64, True), _data(3, 28, 28), "dataset.train")
    with pytest.raises(ConfigError, match="images of 1x64x64 .* takes 3x64x64"):
        check_data_fits(_Model(3, 64, True), _data(1, 64, 64), "dataset.train")
