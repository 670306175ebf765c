"""Face-ID loss (photo2cartoon's recipe): keep the cartoon's identity the photo's.

Both images go through a frozen face-recognition network
(``faceutils.recognition``: dlib's ResNet by default, any registered or callable net);
the loss is the mean cosine distance (or Euclidean distance) between their
embeddings, and its gradient flows through the frozen network into the generator's
output.
"""
import numbers

import paddle
import paddle.nn.functional as F

from ...faceutils.recognition import DEFAULT_FACE_BOX, FaceEmbedding
from ...utils.errors import ConfigError
from ...utils.registry import CRITERIONS

DISTANCES = ("cosine", "l2")


@CRITERIONS.register()
class FaceIDLoss(FaceEmbedding):
    """``loss(real, fake)``: real photo and generated image, NCHW in [-1, 1], same shape.

    Args:
        net: a name in ``faceutils.recognition.RECOGNITION_NETS`` or a callable.
        weights_path: weights for a named net (default: the net's own default).
        crop: the face box (x0, y0, x1, y1) as fractions of the image, cut from both
            images before resizing to the net's input size.
        distance: 'cosine' -> mean(1 - cos(e_real, e_fake)); 'l2' -> mean Euclidean
            distance (dlib's metric: < 0.6 means the same person for dlib_resnet).
        loss_weight: multiplies the loss.
        input_size: side the face box is resized to; default the net's
            ``input_size`` attribute, else 150.
    """

    owner = "FaceIDLoss"

    def __init__(self, net="dlib_resnet", weights_path=None, crop=DEFAULT_FACE_BOX,
                 distance="cosine", loss_weight=1.0, input_size=None):
        super().__init__(net, weights_path, crop, input_size)
        if distance not in DISTANCES:
            raise ConfigError(f"FaceIDLoss.distance is '{distance}'; use one of "
                              f"{', '.join(DISTANCES)}")
        self.distance = distance
        if not isinstance(loss_weight, numbers.Real):
            raise ConfigError(f"FaceIDLoss.loss_weight must be a number, got {loss_weight!r}")
        self.loss_weight = float(loss_weight)

    def __call__(self, real, fake):
        if list(real.shape) != list(fake.shape):
            raise ValueError(f"FaceIDLoss needs real and fake of one shape, got "
                             f"{list(real.shape)} and {list(fake.shape)}")
        with paddle.no_grad():
            real_embedding = self.embed(real.detach())
        fake_embedding = self.embed(fake)
        real_embedding = real_embedding.astype("float32")
        fake_embedding = fake_embedding.astype("float32")
        if self.distance == "cosine":
            per_sample = 1.0 - F.cosine_similarity(real_embedding, fake_embedding, axis=1)
        else:
            # the epsilon keeps the gradient finite where fake == real
            per_sample = paddle.sqrt(((real_embedding - fake_embedding) ** 2).sum(axis=1) + 1e-12)
        return per_sample.mean() * self.loss_weight

    def __repr__(self):
        net = self.net.__class__.__name__
        return (f"FaceIDLoss(net={net}, crop={self.crop}, distance='{self.distance}', "
                f"loss_weight={self.loss_weight}, input_size={self.input_size})")
