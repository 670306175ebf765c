"""Reference cases of the translation nets (tests/models/data/translation_<case>.npz,
written by tests/reference/make_translation_references.py from PaddleGAN's classes)."""
import glob
import json
import os

import numpy as np

import ppgan_lite  # noqa: F401  (CPU settings before paddle loads)

from ppgan_lite.models.discriminators.nlayers import NLayerDiscriminator
from ppgan_lite.models.generators.resnet import ResnetGenerator
from ppgan_lite.models.generators.unet import UnetGenerator
from ppgan_lite.utils.checkpoint import place_weights

DATA = os.path.join(os.path.dirname(__file__), "data")
NETS = {"unet": UnetGenerator, "resnet": ResnetGenerator, "nlayers": NLayerDiscriminator}
CASE_FILES = sorted(glob.glob(os.path.join(DATA, "translation_*.npz")))
SEP = "::"


def layout(net):
    """[(key, shape)] of the net's state dict, in order."""
    return [(k, tuple(v.shape)) for k, v in net.state_dict().items()]


def assert_close(actual, expected, rel=1e-4):
    """max |actual - expected| within ``rel`` of the reference's largest magnitude."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = float(np.abs(expected).max())
    assert scale > 0
    err = float(np.abs(actual - expected).max())
    assert err <= rel * scale, f"max error {err:.3g} vs scale {scale:.3g}"


def load_case(path):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    case = json.loads(arrays.pop("__case__").tobytes().decode("utf-8"))
    groups = {}
    for key, value in arrays.items():
        field, _, name = key.partition(SEP)
        value = value.astype("float32")
        if name:
            groups.setdefault(field, {})[name] = value
        else:
            groups[field] = value
    return case, groups


def case_net(case, params):
    net = NETS[case["family"]](**case["kwargs"])
    place_weights(net, params, "reference", case["family"])
    return net


def case_path(name):
    return os.path.join(DATA, f"translation_{name}.npz")
