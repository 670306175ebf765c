"""Helpers for the predictor tests: a small randomly initialised P2C generator
(ngf 8, one block, 64 px: ~0.06 s a forward on 2 cores instead of ~3 s for
PaddleGAN's), and bad input files."""
import io
import struct
import zlib

import numpy as np

SMALL_GENERATOR = {"name": "ResnetUGATITP2CGenerator", "ngf": 8, "n_blocks": 1,
                   "img_size": 64, "light": True}


def make_generator(seed=0, **overrides):
    import paddle

    from ppgan_lite.models.generators.resnet_ugatit_p2c import ResnetUGATITP2CGenerator

    config = {k: v for k, v in SMALL_GENERATOR.items() if k != "name"}
    config.update(overrides)
    paddle.seed(seed)
    net = ResnetUGATITP2CGenerator(**config)
    net.eval()
    return net


def state_arrays(net):
    return {k: v.numpy() for k, v in net.state_dict().items()}


def save_checkpoint(path, net, generator_config=None, nets=("genA2B", "genB2A")):
    """A ppgan_lite checkpoint as tools/main.py writes it: nets + the resolved config."""
    from ppgan_lite.utils.checkpoint import save_state

    state = {"nets": {name: state_arrays(net) for name in nets},
             "config": {"model": {"name": "UGATITModel",
                                  "generator": dict(generator_config or SMALL_GENERATOR)}}}
    save_state(str(path), state)
    return str(path)


def run_net(net, x):
    import paddle

    with paddle.no_grad():
        return net(paddle.to_tensor(x))[0].numpy()


def to_net_input(rgb):
    return (rgb.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]


def to_uint8_image(y):
    return np.clip((y[0].transpose(1, 2, 0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def jpeg_bytes(rgb, **options):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90, **options)
    return buf.getvalue()


def png_header_only(width, height):
    """A PNG that declares width x height pixels and holds none (a 'bomb' header)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
