"""StyleGAN2 generator (Karras et al. 2020, "Analyzing and Improving the Image Quality
of StyleGAN", fig. 2d and 7b: modulated / demodulated convs, noise, skip ToRGB).

Constructor, methods and parameter names are PaddleGAN's ``StyleGANv2Generator``
(``ppgan/models/generators/generator_styleganv2.py``), so ``stylegan2-ffhq-config-f`` and
``stylegan2-animeface-512.pdparams`` load unchanged; ``channels`` (a {resolution: width}
table, default PaddleGAN's) is the one addition.

Kept from PaddleGAN: forward returns (image, latent or None); W is truncated towards
``truncation_latent`` (drawn with ``get_mean_style`` when not given); two styles mix at
``inject_index`` (random when not given); ``noises.noise_<i>`` buffers hold the fixed
noise that ``randomize_noise=False`` uses. ``with G.double_grad():`` builds the
forward from twice-differentiable ops only, for path-length regularisation.
Fixed: ``truncation_cutoff`` truncates the first ``cutoff`` *layers* (StyleGAN's
meaning); PaddleGAN slices the first ``cutoff`` features of a [N, style_dim] W in place.
``is_concat`` (GPEN's noise concatenation) ran only with a list of one noise map per
resolution at the image's channel count; here one-channel noise is broadcast to that
width, random noise is drawn at it, and the fixed per-conv buffers work.
"""
import contextlib
import math
import random

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...utils.errors import ConfigError
from ...utils.registry import GENERATORS
from ..layers.broadcast import add_channel_bias, like
from ..layers.equalized import EqualLinear, PixelNorm, check_size, stylegan_channels
from ..layers.fused_act import FusedLeakyReLU
from ..layers.sequential import Sequential, trace_without_rewrite
from ..layers.upfirdn import Blur, Upsample, check_blur_kernel, insert_zeros


def _is_tensor(x):
    return isinstance(x, (paddle.Tensor, paddle.pir.Value))


def _batch_size(x):
    """x's batch size: an int, or a 0-D tensor when it is free (a static program)."""
    return x.shape[0] if x.shape[0] >= 0 else paddle.shape(x)[0]


class ModulatedConv2D(nn.Layer):
    """Conv whose weight is scaled per sample and input channel by the style and, with
    ``demodulate``, renormalised per output channel (StyleGAN2 eq. 1-3).

    Two equal ways to compute it (same values to 1e-6): ``fused = True`` is PaddleGAN's,
    per-sample weights [N, O, I, k, k] and one conv grouped over the batch; the default
    scales the input by the style, runs one shared-weight conv and scales the output by
    the demodulation, computed as a matmul (StyleGAN2 sec. 2.2; stylegan2-ada trains
    this way). On CPU the default is ~2.5x faster for a 256 px generator's forward +
    backward (11 vs 28 s, batch 2) and equal in inference; a static program (free batch
    size, which a grouped conv cannot have) always uses it.
    Upsampling is a stride-2 transposed conv, or with ``double_grad`` zero insertion and
    a conv2d (Paddle 3.3 has no double-grad kernel for conv2d_transpose on CPU).
    """

    def __init__(self, in_channel, out_channel, kernel_size, style_dim, demodulate=True,
                 upsample=False, downsample=False, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.eps = 1e-8
        self.kernel_size = kernel_size
        self.in_channel = in_channel
        self.out_channel = out_channel
        self.upsample = upsample
        self.downsample = downsample
        taps = len(check_blur_kernel(blur_kernel, "ModulatedConv2D"))
        if upsample:  # the transposed conv's output is 2H + k - 2; the blur brings it to 2H
            p = (taps - 2) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + 1, p // 2 + 1), upsample_factor=2)
        if downsample:
            p = (taps - 2) + (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2, p // 2))
        self.scale = 1 / math.sqrt(in_channel * kernel_size * kernel_size)
        self.padding = kernel_size // 2
        self.weight = self.create_parameter(
            [1, out_channel, in_channel, kernel_size, kernel_size],
            default_initializer=nn.initializer.Normal())
        self.modulation = EqualLinear(style_dim, in_channel, bias_init=1)
        self.demodulate = demodulate
        self.fused = False
        self.double_grad = False

    def extra_repr(self):
        return (f"{self.in_channel}, {self.out_channel}, {self.kernel_size}, "
                f"upsample={self.upsample}, downsample={self.downsample}")

    def forward(self, inputs, style, apply_modulation=False):
        if apply_modulation:
            style = self.modulation(style)
        k = self.kernel_size  # reshape, not [0]: slicing's gradient re-allocates the weight
        weight = self.weight.reshape([self.out_channel, self.in_channel, k, k]) * self.scale
        demod = None
        if self.demodulate:  # sum over i, k of (w s)^2 = (s^2) @ (sum_k w^2)^T, [N, O]
            demod = paddle.rsqrt(paddle.matmul(style * style, (weight * weight).sum([2, 3]),
                                               transpose_y=True) + self.eps)
        if self.fused and paddle.in_dynamic_mode():
            return self._grouped(inputs, style, weight, demod)
        out = self._conv(inputs * style.reshape([-1, self.in_channel, 1, 1]), weight, 1)
        if demod is not None:
            out = out * demod.reshape([-1, self.out_channel, 1, 1])
        return self.blur(out) if self.upsample else out

    def _grouped(self, inputs, style, weight, demod):
        batch, _, height, width = inputs.shape
        k = self.kernel_size
        weight = weight.unsqueeze(0) * style.reshape([batch, 1, self.in_channel, 1, 1])
        if demod is not None:
            weight = weight * demod.reshape([batch, self.out_channel, 1, 1, 1])
        out = self._conv(inputs.reshape([1, -1, height, width]),
                         weight.reshape([-1, self.in_channel, k, k]), batch)
        out = out.reshape([batch, self.out_channel, out.shape[2], out.shape[3]])
        return self.blur(out) if self.upsample else out

    def _conv(self, x, weight, groups):
        """conv of x with weight [groups * O, I, k, k]; up / down as the layer says."""
        k = self.kernel_size
        if self.upsample and not self.double_grad:
            weight = weight.reshape([groups, self.out_channel, self.in_channel, k, k])
            weight = weight.transpose([0, 2, 1, 3, 4]).reshape([-1, self.out_channel, k, k])
            return F.conv2d_transpose(x, weight, stride=2, groups=groups)
        if self.upsample:  # the same transposed conv as a conv2d over the zero-inserted input
            x = insert_zeros(insert_zeros(x, 2, 2), 2, 3)
            return F.conv2d(x, paddle.flip(weight, [2, 3]), groups=groups,
                            padding=[k - 1, k - 2, k - 1, k - 2])
        if self.downsample:
            return F.conv2d(self.blur(x), weight, stride=2, groups=groups)
        return F.conv2d(x, weight, padding=self.padding, groups=groups)


class NoiseInjection(nn.Layer):
    """image + weight * noise, one learnt ``weight`` (zero-initialised); ``is_concat``
    appends the scaled noise as channels instead (GPEN)."""

    def __init__(self, is_concat=False):
        super().__init__()
        self.weight = self.create_parameter([1], default_initializer=nn.initializer.Constant(0.0))
        self.is_concat = is_concat

    def forward(self, image, noise=None):
        channels = image.shape[1] if self.is_concat else 1
        if noise is None:
            batch, _, height, width = image.shape
            noise = paddle.randn([batch, channels, height, width])
        if self.is_concat:
            if noise.shape[1] == 1:
                noise = noise.expand([-1, channels, -1, -1])
            return paddle.concat([image, self.weight * noise], axis=1)
        return image + like(self.weight * noise, image)


class ConstantInput(nn.Layer):
    """The learnt 4x4 ``input`` the synthesis starts from, repeated over the batch."""

    def __init__(self, channel, size=4):
        super().__init__()
        self.input = self.create_parameter([1, channel, size, size],
                                           default_initializer=nn.initializer.Normal())

    def forward(self, batch):
        return paddle.tile(self.input, [batch, 1, 1, 1])


class StyledConv(nn.Layer):
    """Modulated conv, noise, bias + leaky ReLU (StyleGAN2 fig. 2d)."""

    def __init__(self, in_channel, out_channel, kernel_size, style_dim, upsample=False,
                 blur_kernel=(1, 3, 3, 1), demodulate=True, is_concat=False):
        super().__init__()
        self.conv = ModulatedConv2D(in_channel, out_channel, kernel_size, style_dim,
                                    upsample=upsample, blur_kernel=blur_kernel,
                                    demodulate=demodulate)
        self.noise = NoiseInjection(is_concat=is_concat)
        self.activate = FusedLeakyReLU(out_channel * 2 if is_concat else out_channel)

    def forward(self, inputs, style, noise=None):
        return self.activate(self.noise(self.conv(inputs, style), noise=noise))


class ToRGB(nn.Layer):
    """1x1 modulated conv to RGB (no demodulation) + bias, added to the upsampled
    previous RGB (StyleGAN2 fig. 7b, skip generator)."""

    def __init__(self, in_channel, style_dim, upsample=True, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2D(in_channel, 3, 1, style_dim, demodulate=False)
        self.bias = self.create_parameter([1, 3, 1, 1],
                                          default_initializer=nn.initializer.Constant(0.0))

    def forward(self, inputs, style, skip=None):
        out = add_channel_bias(self.conv(inputs, style), self.bias.reshape([-1]))
        return out if skip is None else out + self.upsample(skip)


@GENERATORS.register()
class StyleGANv2Generator(nn.Layer):
    """Latent z [N, style_dim] (a list of one or two) -> image [N, 3, size, size].

    Mapping: PixelNorm + ``n_mlp`` EqualLinear (lr x ``lr_mlp``, leaky ReLU). Synthesis:
    a learnt 4x4 constant, then per resolution an upsampling and a plain StyledConv and
    a ToRGB; ``n_latent = 2 log2(size) - 2`` W vectors drive them.
    """

    def __init__(self, size, style_dim=512, n_mlp=8, channel_multiplier=2,
                 blur_kernel=(1, 3, 3, 1), lr_mlp=0.01, is_concat=False, channels=None):
        super().__init__()
        who = "StyleGANv2Generator"
        self.size = check_size(size, who)
        for name, value, least in (("style_dim", style_dim, 1), ("n_mlp", n_mlp, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(f"{who} {name} must be an integer >= {least}, got {value!r}")
        if not (isinstance(lr_mlp, (int, float)) and lr_mlp > 0):
            raise ConfigError(f"{who} lr_mlp must be a number > 0, got {lr_mlp!r}")
        check_blur_kernel(blur_kernel, who)
        self.style_dim = style_dim
        self.log_size = int(math.log2(size))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.style = Sequential(PixelNorm(), *[
            EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation="fused_lrelu")
            for _ in range(n_mlp)])
        self.channels = stylegan_channels(size, channel_multiplier, channels, who)
        widen = 2 if is_concat else 1  # is_concat doubles every conv's input
        ch = self.channels

        self.input = ConstantInput(ch[4])
        self.conv1 = StyledConv(ch[4], ch[4], 3, style_dim, blur_kernel=blur_kernel,
                                is_concat=is_concat)
        self.to_rgb1 = ToRGB(ch[4] * widen, style_dim, upsample=False)
        self.convs = nn.LayerList()
        self.upsamples = nn.LayerList()  # empty, as PaddleGAN's
        self.to_rgbs = nn.LayerList()
        self.noises = nn.Layer()
        for layer_idx in range(self.num_layers):
            res = (layer_idx + 5) // 2
            self.noises.register_buffer(f"noise_{layer_idx}",
                                        paddle.randn([1, 1, 2 ** res, 2 ** res]))
        in_channel = ch[4]
        for i in range(3, self.log_size + 1):
            out_channel = ch[2 ** i]
            self.convs.append(StyledConv(in_channel * widen, out_channel, 3, style_dim,
                                         upsample=True, blur_kernel=blur_kernel,
                                         is_concat=is_concat))
            self.convs.append(StyledConv(out_channel * widen, out_channel, 3, style_dim,
                                         blur_kernel=blur_kernel, is_concat=is_concat))
            self.to_rgbs.append(ToRGB(out_channel * widen, style_dim, blur_kernel=blur_kernel))
            in_channel = out_channel
        self.n_latent = self.log_size * 2 - 2
        self.is_concat = is_concat
        # PaddleGAN's per-affine-layer bookkeeping (its StyleCLIP app reads it): the W
        # index, the input width of each modulated conv, which of them are StyledConvs
        blocks = range(1, self.log_size - 1)
        self.w_idx_lst = [0, 1] + [i for b in blocks for i in (2 * b - 1, 2 * b, 2 * b + 1)]
        self.style_layers = [0] + [i for b in blocks for i in (3 * b - 1, 3 * b)]
        self.channels_lst = [ch[4], ch[4]] + [c for i in range(3, self.log_size + 1)
                                              for c in (ch[2 ** (i - 1)], ch[2 ** i], ch[2 ** i])]

    # ------------------------------------------------------------ latents
    def make_noise(self):
        """One fresh [1, 1, r, r] noise map per StyledConv."""
        noises = [paddle.randn([1, 1, 4, 4])]
        for i in range(3, self.log_size + 1):
            noises += [paddle.randn([1, 1, 2 ** i, 2 ** i]) for _ in range(2)]
        return noises

    def mean_latent(self, n_latent):
        """Mean W of ``n_latent`` random z, [1, style_dim]."""
        return self.style(paddle.randn([n_latent, self.style_dim])).mean(0, keepdim=True)

    def get_latent(self, inputs):
        return self.style(inputs)

    @paddle.no_grad()
    def get_mean_style(self, n_sample=10, n_latent=1024):
        """Mean of ``n_sample`` mean_latent(n_latent): the truncation centre."""
        return sum(self.mean_latent(n_latent) for _ in range(n_sample)) / n_sample

    def get_latents(self, inputs, truncation=1.0, truncation_cutoff=None,
                    truncation_latent=None, input_is_latent=False):
        """W (or the given W) truncated as forward truncates it."""
        style = inputs if input_is_latent else self.style(inputs)
        if _is_tensor(truncation) or truncation < 1:
            if truncation_latent is None:
                truncation_latent = self.get_mean_style()
            if truncation_cutoff is not None and style.ndim < 3:
                style = paddle.tile(style.unsqueeze(1), [1, self.n_latent, 1])
            style = self._truncate(style, truncation, truncation_cutoff, truncation_latent)
        return style

    @staticmethod
    def _truncate(latent, truncation, cutoff, centre):
        """centre + truncation * (w - centre) on the first ``cutoff`` layers (all if None)."""
        if latent.ndim == 3 and centre.ndim == 2:
            centre = centre.unsqueeze(1)
        if _is_tensor(truncation):
            truncation = truncation.reshape([-1] + [1] * (latent.ndim - 1))
        if cutoff is None:
            return centre + truncation * (latent - centre)
        head = centre + truncation * (latent[:, :cutoff] - centre)
        return paddle.concat([head, latent[:, cutoff:]], axis=1)

    def style_affine(self, latent):
        """W+ [N, n_latent, style_dim] (or W) -> each modulated conv's style [N, in]."""
        if latent.ndim < 3:
            latent = paddle.tile(latent.unsqueeze(1), [1, self.n_latent, 1])
        styles = [self.conv1.conv.modulation(latent[:, 0]),
                  self.to_rgb1.conv.modulation(latent[:, 1])]
        for j, (conv1, conv2, to_rgb) in enumerate(zip(self.convs[::2], self.convs[1::2],
                                                       self.to_rgbs)):
            i = 1 + 2 * j  # W i is shared by a block's ToRGB and the next block's first conv
            styles += [conv1.conv.modulation(latent[:, i]),
                       conv2.conv.modulation(latent[:, i + 1]),
                       to_rgb.conv.modulation(latent[:, i + 2])]
        return styles

    # ------------------------------------------------------------ synthesis
    def synthesis(self, latent, noise=None, randomize_noise=True, is_w_latent=False):
        """Image from the affine styles (style_affine's list)."""
        if noise is None:
            noise = ([None] * self.num_layers if randomize_noise else
                     [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)])
        out = self.input(_batch_size(latent[0]))
        out = self.conv1(out, latent[0], noise=noise[0])
        skip = self.to_rgb1(out, latent[1])
        # GPEN's is_concat noise list has one map per resolution, not one per conv
        per_resolution = self.is_concat and len(noise) != self.num_layers
        blocks = zip(self.convs[::2], self.convs[1::2], self.to_rgbs)
        for j, (conv1, conv2, to_rgb) in enumerate(blocks):
            i = 2 + 3 * j
            n1, n2 = (noise[j + 1], noise[j + 1]) if per_resolution else \
                (noise[2 * j + 1], noise[2 * j + 2])
            out = conv1(out, latent[i], noise=n1)
            out = conv2(out, latent[i + 1], noise=n2)
            skip = to_rgb(out, latent[i + 2], skip)
        return skip

    def forward(self, styles, return_latents=False, inject_index=None, truncation=1.0,
                truncation_cutoff=None, truncation_latent=None, input_is_latent=False,
                noise=None, randomize_noise=True):
        if not input_is_latent:
            styles = [self.style(s) for s in styles]
        if len(styles) < 2:
            latent = styles[0] if styles[0].ndim == 3 else \
                paddle.tile(styles[0].unsqueeze(1), [1, self.n_latent, 1])
        else:  # style mixing: W 0 for the first inject_index layers, W 1 after
            if inject_index is None:
                inject_index = random.randint(1, self.n_latent - 1)
            if not 0 <= inject_index <= self.n_latent:
                raise ValueError(f"inject_index must be in 0..{self.n_latent}, got {inject_index}")
            latent = paddle.concat(
                [paddle.tile(styles[0].unsqueeze(1), [1, inject_index, 1]),
                 paddle.tile(styles[1].unsqueeze(1), [1, self.n_latent - inject_index, 1])], 1)
        # truncating W+ after mixing equals PaddleGAN's truncating each W before it
        if _is_tensor(truncation) or truncation < 1:
            if truncation_latent is None:
                truncation_latent = self.get_mean_style()
            latent = self._truncate(latent, truncation, truncation_cutoff, truncation_latent)
        image = self.synthesis(self.style_affine(latent), noise, randomize_noise)
        return image, (latent if return_latents else None)

    @contextlib.contextmanager
    def double_grad(self):
        """Forward passes inside use only ops Paddle can differentiate twice (for
        ``paddle.grad(..., create_graph=True)``, path-length regularisation)."""
        convs = [m for m in self.sublayers() if isinstance(m, ModulatedConv2D)]
        before = [m.double_grad for m in convs]
        for m in convs:
            m.double_grad = True
        try:
            yield self
        finally:
            for m, flag in zip(convs, before):
                m.double_grad = flag


trace_without_rewrite(__name__)
