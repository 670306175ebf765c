"""Normalisation layers, with PaddleGAN's parameter names and semantics.

Two batch norms, on purpose:

* ``build_norm_layer('batch')`` is PaddleGAN's ``modules/norm.py``: ``nn.BatchNorm`` with
  ``trainable_statistics=True``, which normalises with the *current batch's* statistics
  in eval mode too (the pix2pix paper's test-time choice; at batch 1 it acts as an
  instance norm). The running statistics are still updated and saved (``_mean``,
  ``_variance``), so PaddleGAN's ``.pdparams`` load unchanged. The translation nets
  (U-Net, ResNet, PatchGAN) use it.
* ``make_norm('batch')`` (DCGAN's nets) is a plain ``BatchNorm2D``: eval uses the running
  statistics, so ``generate.py --num 1`` draws the same face as one of ``--num 64``.
  PaddleGAN's DCGAN uses the batch-statistics norm, whose eval output depends on the
  batch it is drawn in; the state-dict keys are the same either way.

'instance' is an ``InstanceNorm2D`` whose affine exists (keys ``scale``, ``bias``) but is
frozen at 1 and 0, as PaddleGAN's builder makes it; 'none' is an Identity that keeps the
Sequential indices (and so the key names) of the other choices.
"""
import paddle
import paddle.nn as nn

from ...utils.errors import ConfigError

NORM_TYPES = ("batch", "instance", "none")


def frozen_affine(value):
    """A ParamAttr for an affine parameter held at ``value`` (never trained)."""
    return paddle.ParamAttr(initializer=nn.initializer.Constant(value),
                            learning_rate=0.0, trainable=False)


def check_norm_type(norm_type, who):
    """A one-line ConfigError naming the net when ``norm_type`` is not one we build."""
    if norm_type not in NORM_TYPES:
        raise ConfigError(f"{who} norm_type '{norm_type}' is unknown; use one of: "
                          f"{', '.join(NORM_TYPES)}")


def frozen_instance_norm(num_features):
    return nn.InstanceNorm2D(num_features, weight_attr=frozen_affine(1.0),
                             bias_attr=frozen_affine(0.0))


def make_norm(norm_type, num_features):
    """The norm DCGAN's nets put after a conv (running statistics in eval)."""
    if norm_type == "batch":
        return nn.BatchNorm2D(num_features)
    if norm_type == "instance":
        return frozen_instance_norm(num_features)
    if norm_type == "none":
        return nn.Identity()
    raise ConfigError(f"unknown norm_type '{norm_type}'; use one of: {', '.join(NORM_TYPES)}")


def batch_statistics_norm(num_features):
    """PaddleGAN's batch norm: batch statistics in train *and* eval mode; weight ~
    N(1, 0.02), bias 0 (``init_weights`` draws the weight again for the models)."""
    return nn.BatchNorm(num_features,
                        param_attr=paddle.ParamAttr(initializer=nn.initializer.Normal(1.0, 0.02)),
                        bias_attr=paddle.ParamAttr(initializer=nn.initializer.Constant(0.0)),
                        trainable_statistics=True)


def build_norm_layer(norm_type="instance"):
    """PaddleGAN's ``build_norm_layer``: a factory ``norm_layer(num_features)``."""
    if norm_type == "batch":
        return batch_statistics_norm
    if norm_type == "instance":
        return frozen_instance_norm
    if norm_type == "none":
        return lambda num_features: nn.Identity()
    raise ConfigError(f"unknown norm_type '{norm_type}'; choose instance, batch or none")


def uses_conv_bias(norm_type):
    """PaddleGAN's translation nets give a conv a bias only before an instance norm
    (its ``use_bias = norm_layer.func == nn.InstanceNorm2D``): batch norm has its own
    shift, and with 'none' PaddleGAN's test is False too."""
    return norm_type == "instance"


def plain_instance_norm(dim):
    """Instance norm without parameters (Photo2Cartoon's encoder and hourglass)."""
    return nn.InstanceNorm2D(dim, weight_attr=False, bias_attr=False)
