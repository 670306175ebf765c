"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``) in Paddle.

The Face-ID loss needs a face-recognition network that works offline; the
``face-recognition-models`` wheel ships dlib's. This module reads dlib's file
directly (no dlib needed at run time) and rebuilds the network as a frozen
``paddle.nn.Layer`` whose 128-d descriptors match dlib's ``compute_face_descriptor``
on the same 150x150 face chip to ~1e-7.

The file is dlib's DNN serialization of ``loss_metric<fc_no_bias<128, avg_pool_everything<
...residual levels...<max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>``:

* integers: one control byte (low nibble = byte count, 0x80 = negative), then the
  bytes little-endian; floats: mantissa and exponent as two such integers (m * 2**e);
  strings: length then bytes; bools: the characters '0'/'1'; tensors: version 2,
  shape (n, k, nr, nc), then float32 little-endian data.
* the loss record first (``loss_metric_2``, margin, distance threshold), then one
  version integer per layer from the output down to the input (tags and skips
  included, 130 of them), then the input layer (``input_rgb_image_sized``: RGB means,
  150x150), then the 108 computational layers from the input up, each followed by
  its training state (3 bools, 3 empty tensors; the bottom one also an int).

Tags and skips carry no data, so the wiring is fixed here (dlib's published
``anet_type``) and the file's layer sequence is checked against it.
"""
import os
import threading
import time

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ..utils.errors import WeightsNotFoundError

INPUT_SIZE = 150
# (out channels, downsample) per residual block, input side first.
RESIDUAL_LAYOUT = ([(32, False)] * 3 + [(64, True)] + [(64, False)] * 3
                   + [(128, True)] + [(128, False)] * 2
                   + [(256, True)] + [(256, False)] * 2 + [(256, True)])
_FILE_NAME = "dlib_face_recognition_resnet_model_v1.dat"
_INSTALL_HINT = f"pip install face-recognition-models, or pass path= to {_FILE_NAME}"


# -- reading dlib's serialization ---------------------------------------------------
class _DlibStream:
    """A cursor over the bytes of a dlib-serialized object."""

    def __init__(self, data, path):
        self.data, self.pos, self.path = data, 0, path

    def fail(self, what):
        raise WeightsNotFoundError(
            f"{self.path} is not dlib's face recognition ResNet ({what} at byte {self.pos}); "
            f"pass path= to {_FILE_NAME} (pip install face-recognition-models ships it)")

    def read_int(self):
        if self.pos >= len(self.data):
            self.fail("file ends early")
        control = self.data[self.pos]
        size = control & 0x0F
        if size > 8:
            self.fail("bad integer")
        raw = self.data[self.pos + 1:self.pos + 1 + size]
        self.pos += 1 + size
        value = int.from_bytes(raw, "little")
        return -value if control & 0x80 else value

    def read_float(self):
        mantissa, exponent = self.read_int(), self.read_int()
        special = {32000: float("inf"), 32001: float("-inf"), 32002: float("nan")}
        return special.get(exponent, mantissa * 2.0 ** exponent)

    def skip_floats(self, count):
        for _ in range(count):
            self.read_float()

    def read_string(self, expected=None):
        size = self.read_int()
        if not 0 <= size <= 256:
            self.fail(f"expected a name{' ' + expected if expected else ''}")
        text = self.data[self.pos:self.pos + size].decode("latin-1")
        self.pos += size
        if expected is not None and text != expected:
            self.fail(f"expected '{expected}', found '{text}'")
        return text

    def read_bools(self, count):
        flags = self.data[self.pos:self.pos + count]
        if any(c not in b"01" for c in flags):
            self.fail("bad bool")
        self.pos += count
        return [c == ord("1") for c in flags]

    def read_tensor(self):
        if self.read_int() != 2:
            self.fail("bad tensor version")
        shape = [self.read_int() for _ in range(4)]
        count = int(np.prod(shape))
        if self.pos + 4 * count > len(self.data):
            self.fail("file ends inside a tensor")
        values = np.frombuffer(self.data, "<f4", count, self.pos).reshape(shape)
        self.pos += 4 * count
        return values

    def read_alias_tensor(self):  # a view's shape into a layer's flat params
        if self.read_int() != 1:
            self.fail("bad alias tensor version")
        return [self.read_int() for _ in range(4)]


def _read_layer(stream, bottom=False):
    """One computational layer: (type name, dict of what the network needs)."""
    kind = stream.read_string()
    if kind == "con_4":
        params = stream.read_tensor()
        info = dict(zip(("filters", "nr", "nc", "stride_y", "stride_x", "pad_y", "pad_x"),
                        (stream.read_int() for _ in range(7))))
        info["weight_shape"], bias_shape = stream.read_alias_tensor(), stream.read_alias_tensor()
        n_weights = int(np.prod(info["weight_shape"]))
        info["weight"] = params.reshape(-1)[:n_weights].reshape(info["weight_shape"])
        info["bias"] = params.reshape(-1)[n_weights:n_weights + bias_shape[1]]
        stream.skip_floats(4)  # learning-rate / weight-decay multipliers
    elif kind == "affine_":  # a batch norm frozen into gamma * x + beta, per channel
        params = stream.read_tensor().reshape(-1)
        gamma_shape, _, mode = stream.read_alias_tensor(), stream.read_alias_tensor(), stream.read_int()
        channels = int(np.prod(gamma_shape))
        info = {"gamma": params[:channels], "beta": params[channels:], "mode": mode}
    elif kind in ("max_pool_2", "avg_pool_2"):
        info = dict(zip(("nr", "nc", "stride_y", "stride_x", "pad_y", "pad_x"),
                        (stream.read_int() for _ in range(6))))
    elif kind in ("relu_", "add_prev_"):
        info = {}
    elif kind == "fc_2":
        outputs, inputs, params = stream.read_int(), stream.read_int(), stream.read_tensor()
        stream.read_alias_tensor(), stream.read_alias_tensor()
        info = {"outputs": outputs, "inputs": inputs, "has_bias": stream.read_int() == 0,
                "weight": params.reshape(-1)[:inputs * outputs].reshape(inputs, outputs)}
        stream.skip_floats(4)
    else:
        stream.fail(f"layer type '{kind}' is not part of this network")
    stream.read_bools(3)  # setup called, gradient stale, output getters disabled
    for _ in range(3):  # x_grad, cached output, params_grad / grad_final: empty
        stream.read_tensor()
    if bottom:
        stream.read_int()  # sample expansion factor
    return kind, info


def read_dlib_resnet_file(path):
    """Parse the .dat file: {'loss': {...}, 'input': {...}, 'layers': [(kind, info), ...]}."""
    with open(path, "rb") as f:
        stream = _DlibStream(f.read(), path)
    stream.read_int()  # add_loss_layer version
    loss = {"name": stream.read_string("loss_metric_2"), "margin": stream.read_float(),
            "distance_threshold": stream.read_float()}
    versions, input_marker = [], b"\x01\x15input_rgb_image_sized"  # the name as a dlib string
    while stream.data[stream.pos:stream.pos + len(input_marker)] != input_marker:
        versions.append(stream.read_int())
        if len(versions) > 1000:
            stream.fail("no input layer")
    stream.read_string("input_rgb_image_sized")
    means = [stream.read_float() for _ in range(3)]
    size = (stream.read_int(), stream.read_int())
    layers = [_read_layer(stream, bottom=True)]
    while stream.pos < len(stream.data):
        layers.append(_read_layer(stream))
    return {"loss": loss, "input": {"means": means, "size": size},
            "layers": layers, "num_records": len(versions)}


# -- the network ---------------------------------------------------------------------
class ChannelAffine(nn.Layer):
    """dlib's ``affine`` layer: a batch norm frozen into ``gamma * x + beta`` per channel."""

    def __init__(self, channels):
        super().__init__()
        self.weight = self.create_parameter([channels], default_initializer=nn.initializer.Constant(1.0))
        self.bias = self.create_parameter([channels], is_bias=True)

    def forward(self, x):
        return x * self.weight.reshape([1, -1, 1, 1]) + self.bias.reshape([1, -1, 1, 1])


def _zero_extended_sum(a, b):
    """dlib's ``add_prev``: the sum has the larger C, H, W of the two and each input is
    zero outside its own extent (top-left aligned). The down-sampling blocks need it:
    their 3x3/2 branch can come out one pixel smaller than the 2x2/2 pooled skip, and
    the skip has half the channels."""
    c, h, w = (max(a.shape[i], b.shape[i]) for i in (1, 2, 3))

    def extend(x):
        if x.shape[1] < c:
            zeros = paddle.zeros([x.shape[0], c - x.shape[1], x.shape[2], x.shape[3]], x.dtype)
            x = paddle.concat([x, zeros], axis=1)
        if x.shape[2] < h or x.shape[3] < w:
            x = F.pad(x, [0, w - x.shape[3], 0, h - x.shape[2]])
        return x

    return extend(a) + extend(b)


class DlibResidualBlock(nn.Layer):
    """relu(branch(x) + skip(x)); branch = affine(conv3x3(relu(affine(conv3x3/s(x))))).
    Downsampling blocks use stride 2 without padding and a 2x2/2 average-pooled skip."""

    def __init__(self, in_channels, out_channels, downsample):
        super().__init__()
        self.downsample = downsample
        stride, padding = (2, 0) if downsample else (1, 1)
        self.conv1 = nn.Conv2D(in_channels, out_channels, 3, stride, padding)
        self.affine1 = ChannelAffine(out_channels)
        self.conv2 = nn.Conv2D(out_channels, out_channels, 3, 1, 1)
        self.affine2 = ChannelAffine(out_channels)

    def forward(self, x):
        branch = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        skip = F.avg_pool2d(x, 2, 2) if self.downsample else x
        return F.relu(_zero_extended_sum(branch, skip))

    def dlib_layer_kinds(self):
        pool = ["avg_pool_2"] if self.downsample else []
        return ["con_4", "affine_", "relu_", "con_4", "affine_"] + pool + ["add_prev_", "relu_"]


class DlibFaceRecognitionNet(nn.Layer):
    """Input NCHW float RGB in [0, 255], 150x150 (a dlib face chip); output (N, 128),
    the raw descriptor (not normalised: dlib calls two faces the same person when
    their Euclidean distance is below 0.6)."""

    input_size = INPUT_SIZE

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2D(3, 32, 7, 2, 0)
        self.affine1 = ChannelAffine(32)
        blocks, channels = [], 32
        for out_channels, downsample in RESIDUAL_LAYOUT:
            blocks.append(DlibResidualBlock(channels, out_channels, downsample))
            channels = out_channels
        self.blocks = nn.LayerList(blocks)
        self.fc = nn.Linear(channels, 128, bias_attr=False)  # [in, out], as dlib stores it
        self.register_buffer("rgb_mean", paddle.zeros([1, 3, 1, 1]), persistable=False)

    def forward(self, x):
        if tuple(x.shape[-2:]) != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"DlibFaceRecognitionNet takes 150x150 face chips, got {list(x.shape)}; "
                             f"resize first (FaceIDLoss does)")
        x = (x - self.rgb_mean) / 256.0  # dlib's input_rgb_image_sized
        x = F.max_pool2d(F.relu(self.affine1(self.conv1(x))), 3, 2)
        for block in self.blocks:
            x = block(x)
        return self.fc(x.mean(axis=[2, 3]))

    def dlib_layer_kinds(self):
        kinds = ["con_4", "affine_", "relu_", "max_pool_2"]
        for block in self.blocks:
            kinds += block.dlib_layer_kinds()
        return kinds + ["avg_pool_2", "fc_2"]

    def load_dlib_records(self, parsed, path="the file"):
        """Copy the parsed file's weights in, after checking its layers are this network's."""
        layers = parsed["layers"]
        kinds = [kind for kind, _ in layers]
        per_channel = all(info["mode"] == 0 for kind, info in layers if kind == "affine_")
        if (kinds != self.dlib_layer_kinds() or not per_channel
                or tuple(parsed["input"]["size"]) != (INPUT_SIZE, INPUT_SIZE)
                or layers[-1][1]["weight"].shape != tuple(self.fc.weight.shape)):
            raise WeightsNotFoundError(
                f"{path} holds a different dlib network ({len(kinds)} layers); "
                f"pass path= to {_FILE_NAME} (pip install face-recognition-models ships it)")
        convs = [(self.conv1, 2, 0)]  # (layer, stride, padding)
        for block in self.blocks:
            convs += [(block.conv1, 2, 0) if block.downsample else (block.conv1, 1, 1),
                      (block.conv2, 1, 1)]
        affines = [self.affine1] + [a for b in self.blocks for a in (b.affine1, b.affine2)]
        conv_infos = [info for kind, info in layers if kind == "con_4"]
        affine_infos = [info for kind, info in layers if kind == "affine_"]
        for (conv, stride, pad), info in zip(convs, conv_infos):
            if (list(info["weight"].shape) != list(conv.weight.shape)
                    or (info["stride_y"], info["stride_x"], info["pad_y"], info["pad_x"])
                    != (stride, stride, pad, pad)):
                raise WeightsNotFoundError(
                    f"{path}: a convolution differs from dlib's face ResNet "
                    f"({info['weight_shape']}, stride {info['stride_y']}); pass path= to the right file")
            conv.weight.set_value(info["weight"])
            conv.bias.set_value(info["bias"])
        for affine, info in zip(affines, affine_infos):
            affine.weight.set_value(info["gamma"])
            affine.bias.set_value(info["beta"])
        self.fc.weight.set_value(layers[-1][1]["weight"])
        self.rgb_mean.set_value(np.array(parsed["input"]["means"], "float32").reshape(1, 3, 1, 1))
        return self


# -- loading, once per file per process ------------------------------------------------
_CACHE = {}
_CACHE_LOCK = threading.Lock()
LOAD_TIMES = {}  # path -> seconds the first load took (for logs and the benchmark)


def default_model_path():
    """dlib's model file inside the installed face-recognition-models wheel."""
    try:
        import face_recognition_models
    except ImportError:
        raise WeightsNotFoundError(
            f"dlib's face recognition model is not installed: {_INSTALL_HINT}") from None
    return face_recognition_models.face_recognition_model_location()


def load_dlib_resnet(path=None):
    """The frozen, eval-mode ``DlibFaceRecognitionNet`` for ``path`` (default: the
    installed wheel's file). Parsed once per file per process; callers share the
    instance, so do not train or modify it."""
    path = os.path.abspath(path or default_model_path())
    if not os.path.isfile(path):
        raise WeightsNotFoundError(f"dlib face recognition model not found at {path}: {_INSTALL_HINT}")
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    with _CACHE_LOCK:
        if key not in _CACHE:
            start = time.perf_counter()
            net = DlibFaceRecognitionNet().load_dlib_records(read_dlib_resnet_file(path), path)
            net.eval()
            for param in net.parameters():
                param.stop_gradient = True
            _CACHE[key] = net
            LOAD_TIMES[path] = time.perf_counter() - start
        return _CACHE[key]
