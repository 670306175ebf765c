"""PaddleGAN's person segmentation for photo2cartoon ("faceseg"): an FCN head on an
HRNet_W18 backbone, rebuilt as plain Paddle layers.

The layers carry the sub-layer names of PaddleGAN's net, so the state dict of
``FaceSegNet`` has the keys and shapes of ``faceseg_FCN-HRNetW18.pdparams`` (1533
tensors, 9.6 M parameters; PaddleGAN publishes the file at
https://paddlegan.bj.bcebos.com/models/faceseg_FCN-HRNetW18.pdparams) and that file
loads unchanged. ppgan_lite never downloads it: ``load_faceseg_net`` reads it from
where the user put it.

The net (Wang et al., "Deep High-Resolution Representation Learning for Visual
Recognition", arXiv:1908.07919): a stride-4 stem, a bottleneck stage at 64 channels,
then stages of 2, 3 and 4 parallel branches (18, 36, 72, 144 channels at 1/4 .. 1/32)
that exchange information after every module; the four outputs are upsampled to 1/4
and concatenated (270 channels), and the FCN head (a 1x1 conv-BN-ReLU and a 1x1
classifier) gives background / person logits, upsampled to the input size.

PaddleGAN details kept: TF-style ``padding='same'`` (asymmetric for the stride-2
convolutions), bilinear upsampling with ``align_corners=False`` inside the backbone
and ``True`` for the final logits, batch norm with epsilon 1e-5, and the input: the
RGB crop resized to 384x384 with ``INTER_AREA``, scaled to [0, 1], no mean or std.
"""
import sys

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ..utils.errors import WeightsNotFoundError

INPUT_SIZE = 384
WEIGHTS_FILE = "faceseg_FCN-HRNetW18.pdparams"
PERSON_CLASS = 1  # the logits are (background, person)
# HRNet_W18: (modules, blocks per branch, channels per branch) of stages 2 to 4
STAGES = ((1, 4, (18, 36)), (4, 4, (18, 36, 72)), (3, 4, (18, 36, 72, 144)))
STEM_CHANNELS = 64
BOTTLENECKS = 4


class ConvBN(nn.Layer):
    """Conv (bias-free unless asked), batch norm and an optional ReLU: PaddleGAN's
    ``ConvBN`` / ``ConvBNReLU``, whose sub-layer names ``_conv`` and ``_batch_norm``
    are part of the weight file's keys."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, relu=True,
                 bias=False):
        super().__init__()
        self._conv = nn.Conv2D(in_channels, out_channels, kernel_size, stride=stride,
                               padding="same", bias_attr=None if bias else False)
        self._batch_norm = nn.BatchNorm2D(out_channels)
        self.relu = relu

    def forward(self, x):
        x = self._batch_norm(self._conv(x))
        return F.relu(x) if self.relu else x


class Bottleneck(nn.Layer):
    """1x1 reduce, 3x3, 1x1 expand (x4) plus the input (projected when its width
    differs), then ReLU."""

    def __init__(self, in_channels, channels):
        super().__init__()
        self.conv1 = ConvBN(in_channels, channels, 1)
        self.conv2 = ConvBN(channels, channels, 3)
        self.conv3 = ConvBN(channels, channels * 4, 1, relu=False)
        if in_channels != channels * 4:
            self.conv_down = ConvBN(in_channels, channels * 4, 1, relu=False)
        else:
            self.conv_down = None

    def forward(self, x):
        shortcut = x if self.conv_down is None else self.conv_down(x)
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + shortcut)


class BasicBlock(nn.Layer):
    """Two 3x3 conv-BNs around a residual connection (the width never changes here)."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvBN(channels, channels, 3)
        self.conv2 = ConvBN(channels, channels, 3, relu=False)

    def forward(self, x):
        return F.relu(self.conv2(self.conv1(x)) + x)


class NamedLayers(nn.Layer):
    """A container whose sub-layers are registered under PaddleGAN's flat names
    (``bb_st2_1_branch_layer_1_1``, ``residual_st3_2_layer_3_1_2``, ...), so the keys
    of the state dict are the weight file's."""

    def register(self, name, layer):
        return self.add_sublayer(name, layer)


class Stem(NamedLayers):
    """The bottleneck stage after the stride-4 stem: 64 -> 256 channels at 1/4."""

    def __init__(self, in_channels=STEM_CHANNELS, channels=STEM_CHANNELS,
                 blocks=BOTTLENECKS, name="layer2"):
        super().__init__()
        self.blocks = [self.register(f"bb_{name}_{i + 1}",
                                     Bottleneck(in_channels if i == 0 else channels * 4,
                                                channels))
                       for i in range(blocks)]

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class Transition(NamedLayers):
    """From n branches to the next stage's: a 3x3 conv where a branch changes width,
    and a new lowest-resolution branch by a stride-2 conv of the last one."""

    def __init__(self, in_channels, out_channels, name):
        super().__init__()
        self.convs = []
        for i, width in enumerate(out_channels):
            if i < len(in_channels) and in_channels[i] == width:
                self.convs.append(None)  # the branch passes through
                continue
            source = in_channels[min(i, len(in_channels) - 1)]
            stride = 1 if i < len(in_channels) else 2
            self.convs.append(self.register(f"transition_{name}_layer_{i + 1}",
                                            ConvBN(source, width, 3, stride=stride)))

    def forward(self, branches):
        outputs = []
        for i, conv in enumerate(self.convs):
            source = branches[min(i, len(branches) - 1)]
            outputs.append(source if conv is None else conv(source))
        return outputs


class Branches(NamedLayers):
    """Each branch runs its own chain of basic blocks."""

    def __init__(self, blocks, channels, name):
        super().__init__()
        self.chains = [[self.register(f"bb_{name}_branch_layer_{i + 1}_{j + 1}",
                                      BasicBlock(width)) for j in range(blocks)]
                       for i, width in enumerate(channels)]

    def forward(self, branches):
        outputs = []
        for x, chain in zip(branches, self.chains):
            for block in chain:
                x = block(x)
            outputs.append(x)
        return outputs


class Fuse(NamedLayers):
    """Every output branch i sums all branches brought to its resolution and width:
    a lower-resolution branch j > i by a 1x1 conv-BN and bilinear upsampling, a
    higher-resolution one j < i by i - j stride-2 3x3 convs (conv-BN-ReLU at branch
    j's width, the last one conv-BN to branch i's), then ReLU."""

    def __init__(self, channels, name):
        super().__init__()
        self.paths = {}  # (i, j) -> the layers that bring branch j to branch i
        for i, width in enumerate(channels):
            for j, source in enumerate(channels):
                if j > i:
                    self.paths[i, j] = [self.register(
                        f"residual_{name}_layer_{i + 1}_{j + 1}",
                        ConvBN(source, width, 1, relu=False))]
                elif j < i:
                    steps = i - j
                    self.paths[i, j] = [self.register(
                        f"residual_{name}_layer_{i + 1}_{j + 1}_{k + 1}",
                        ConvBN(source, width if k == steps - 1 else source, 3, stride=2,
                               relu=k < steps - 1))
                        for k in range(steps)]

    def forward(self, branches):
        outputs = []
        for i, total in enumerate(branches):
            for j, x in enumerate(branches):
                if j == i:
                    continue
                for layer in self.paths[i, j]:
                    x = layer(x)
                if j > i:
                    x = F.interpolate(x, size=total.shape[2:], mode="bilinear",
                                      align_corners=False)
                total = total + x
            outputs.append(F.relu(total))
        return outputs


class HighResolutionModule(nn.Layer):
    def __init__(self, blocks, channels, name):
        super().__init__()
        self.branches_func = Branches(blocks, channels, name)
        self.fuse_func = Fuse(channels, name)

    def forward(self, branches):
        return self.fuse_func(self.branches_func(branches))


class Stage(NamedLayers):
    def __init__(self, modules, blocks, channels, name):
        super().__init__()
        self.module_list = [
            self.register(f"stage_{name}_{m + 1}",
                          HighResolutionModule(blocks, channels, f"{name}_{m + 1}"))
            for m in range(modules)]

    def forward(self, branches):
        for module in self.module_list:
            branches = module(branches)
        return branches


class HRNetW18(nn.Layer):
    """NCHW image -> 270-channel features at 1/4 of its size (the four branches,
    upsampled and concatenated)."""

    def __init__(self):
        super().__init__()
        self.conv_layer1_1 = ConvBN(3, STEM_CHANNELS, 3, stride=2)
        self.conv_layer1_2 = ConvBN(STEM_CHANNELS, STEM_CHANNELS, 3, stride=2)
        self.la1 = Stem()
        widths = [STEM_CHANNELS * 4]
        for n, (modules, blocks, channels) in enumerate(STAGES, start=1):
            self.add_sublayer(f"tr{n}", Transition(widths, channels, f"tr{n}"))
            self.add_sublayer(f"st{n + 1}", Stage(modules, blocks, channels, f"st{n + 1}"))
            widths = list(channels)
        self.feat_channels = sum(widths)

    def forward(self, x):
        branches = [self.la1(self.conv_layer1_2(self.conv_layer1_1(x)))]
        for n in range(1, len(STAGES) + 1):
            branches = getattr(self, f"tr{n}")(branches)
            branches = getattr(self, f"st{n + 1}")(branches)
        size = branches[0].shape[2:]
        upsampled = [F.interpolate(b, size=size, mode="bilinear", align_corners=False)
                     for b in branches[1:]]
        return paddle.concat([branches[0]] + upsampled, axis=1)


class FCNHead(nn.Layer):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.conv_1 = ConvBN(in_channels, in_channels, 1, bias=True)
        self.cls = nn.Conv2D(in_channels, num_classes, 1)

    def forward(self, features):
        return self.cls(self.conv_1(features))


class FaceSegNet(nn.Layer):
    """NCHW RGB in [0, 1] (384x384 as PaddleGAN runs it) -> N2HW logits of
    (background, person) at the input size."""

    def __init__(self, num_classes=2):
        super().__init__()
        self.backbone = HRNetW18()
        self.head = FCNHead(self.backbone.feat_channels, num_classes)

    def forward(self, x):
        logits = self.head(self.backbone(x))
        return F.interpolate(logits, size=x.shape[2:], mode="bilinear", align_corners=True)

    def person_probability(self, x):
        """N1HW softmax probability of the person class (PaddleGAN takes the argmax)."""
        return F.softmax(self(x), axis=1)[:, PERSON_CLASS:PERSON_CLASS + 1]


class FaceSegProbability(nn.Layer):
    """``net.person_probability`` as a net of its own, in the form ``utils.export``
    exports (``input_nc`` and ``img_size`` give its input: 3x384x384 in [0, 1])."""

    input_nc, img_size = 3, INPUT_SIZE

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net.person_probability(x)


def load_faceseg_net(weight_path):
    """FaceSegNet in eval mode with the weights of a ``faceseg_FCN-HRNetW18.pdparams``
    (PaddleGAN's file, or any ``paddle.save`` of a FaceSegNet state dict)."""
    import numpy as np

    from ..utils.checkpoint import load_weights

    nets = load_weights(weight_path)
    if "" not in nets:
        raise WeightsNotFoundError(
            f"'{weight_path}' holds the nets {', '.join(sorted(nets))}, not one faceseg "
            f"state dict: pass PaddleGAN's {WEIGHTS_FILE}")
    state = nets[""]
    net = FaceSegNet()
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state
                and tuple(np.shape(state[k])) != tuple(expected[k].shape)]
    problems = []
    if missing:
        problems.append(f"{len(missing)} of the net's {len(expected)} keys missing, "
                        f"e.g. '{missing[0]}'")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected, e.g. '{unexpected[0]}'")
    if reshaped:
        key = reshaped[0]
        problems.append(f"{len(reshaped)} of another shape, e.g. '{key}' is "
                        f"{list(np.shape(state[key]))}, not {list(expected[key].shape)}")
    if problems:
        raise WeightsNotFoundError(
            f"'{weight_path}' is not a faceseg (FCN-HRNetW18) state dict "
            f"({'; '.join(problems)}): pass PaddleGAN's {WEIGHTS_FILE}")
    net.set_state_dict({k: np.asarray(state[k], dtype="float32") for k in expected})
    net.eval()
    return net


# Nothing here branches or loops on tensor values: paddle.jit.to_static traces these
# forwards as plain Python instead of rewriting their AST (the export for onnxruntime
# took 130 s on 2 cores with the rewrite; models/layers/sequential.py does the same
# for the generators)
paddle.jit.ignore_module([sys.modules[__name__]])
