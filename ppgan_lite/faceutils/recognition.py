"""Face embeddings for the Face-ID loss and the face metrics, one code path for both:
cut the face box out of each image, resize it to the recognition net's input and run
the net.

The recognition network is a slot: ``net`` names an entry of ``RECOGNITION_NETS``
(``'dlib_resnet'``, dlib's ResNet from the ``face-recognition-models`` wheel, works
offline out of the box) or is any callable ``f(images) -> (N, D)`` taking NCHW RGB
float images in [0, 255] of ``input_size`` x ``input_size``. Another network (e.g. a
MobileFaceNet with local weights) is added with
``@RECOGNITION_NETS.register('mobilefacenet')`` on a class or function that takes
``weights_path=`` and returns such a callable (optionally with an ``input_size``
attribute).
"""
import paddle.nn as nn
import paddle.nn.functional as F

from ..utils.errors import ConfigError
from ..utils.registry import Registry
from .dlib_resnet import INPUT_SIZE as DLIB_INPUT_SIZE
from .dlib_resnet import load_dlib_resnet

RECOGNITION_NETS = Registry("face recognition net")

# The face box as fractions (x0, y0, x1, y1) of the image. The photo2cartoon
# alignment (PaddleGAN's behaviour: rotate the eyes level, then crop a square from
# 0.8 landmark-heights above the brows to 0.3 below the chin, face centred) puts the
# face in the middle and a little low. Measured on skimage's astronaut, the box that
# dlib's own 150-px face chip (padding 0.25) covers in that crop is
# (0.198, 0.266, 0.800, 0.868): this square of side 0.6 is that box, rounded, so the
# recognition net sees the framing it was trained on. Other alignments: pass crop=.
DEFAULT_FACE_BOX = (0.2, 0.27, 0.8, 0.87)


@RECOGNITION_NETS.register("dlib_resnet")
def build_dlib_resnet(weights_path=None):
    """dlib's ResNet (128-d, 150x150 chips); ``weights_path`` defaults to the wheel's file."""
    return load_dlib_resnet(weights_path)


def check_crop(crop, owner="FaceEmbedding"):
    """(x0, y0, x1, y1) floats of a face box inside the image, else ConfigError."""
    try:
        x0, y0, x1, y1 = (float(v) for v in crop)
    except (TypeError, ValueError):
        raise ConfigError(f"{owner}.crop must be 4 fractions (x0, y0, x1, y1), "
                          f"got {crop!r}") from None
    if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
        raise ConfigError(f"{owner}.crop {crop!r} is not a box inside the image; "
                          f"need 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1")
    return x0, y0, x1, y1


class FaceEmbedding:
    """``embedding.embed(images)``: (N, D) embeddings of NCHW RGB images in [-1, 1],
    differentiable in the images (the recognition net itself is frozen).

    Args:
        net: a name in ``RECOGNITION_NETS`` or a callable (see the module docstring).
        weights_path: weights for a named net (default: the net's own default).
        crop: the face box (x0, y0, x1, y1) as fractions of the image, cut before
            resizing to the net's input size.
        input_size: side the face box is resized to; default the net's
            ``input_size`` attribute, else 150.
    """

    owner = "FaceEmbedding"  # the name errors give for the settings

    def __init__(self, net="dlib_resnet", weights_path=None, crop=DEFAULT_FACE_BOX,
                 input_size=None):
        self.net = self._build_net(net, weights_path)
        self.crop = check_crop(crop, self.owner)
        self.input_size = int(input_size or getattr(self.net, "input_size", DLIB_INPUT_SIZE))

    def _build_net(self, net, weights_path):
        if isinstance(net, str):
            net = RECOGNITION_NETS.get(net, f"{self.owner}.net")(weights_path=weights_path)
        elif not callable(net):
            raise ConfigError(
                f"{self.owner}.net must be a name ({', '.join(RECOGNITION_NETS.keys())}) or a "
                f"callable images -> (N, D), got {net!r}")
        elif weights_path is not None:
            raise ConfigError(f"{self.owner}.weights_path goes with a net name; "
                              f"load the weights into your callable net yourself")
        if isinstance(net, nn.Layer):  # a loss trains the generator, never this net
            net.eval()
            for param in net.parameters():
                param.stop_gradient = True
        return net

    def face_box_pixels(self, height, width):
        """The crop box in pixels (x0, y0, x1, y1) for an image of this size."""
        x0, y0, x1, y1 = self.crop
        left, top = int(round(x0 * width)), int(round(y0 * height))
        right = max(int(round(x1 * width)), left + 1)
        bottom = max(int(round(y1 * height)), top + 1)
        return left, top, right, bottom

    def embed(self, images):
        """Embeddings (N, D) of NCHW images in [-1, 1]; differentiable in ``images``."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"{self.owner} takes NCHW RGB images, got shape "
                             f"{list(images.shape)}")
        left, top, right, bottom = self.face_box_pixels(images.shape[2], images.shape[3])
        faces = images[:, :, top:bottom, left:right]
        size = [self.input_size, self.input_size]
        faces = F.interpolate(faces, size=size, mode="bilinear", align_corners=False)
        return self.net((faces + 1.0) * 127.5)
