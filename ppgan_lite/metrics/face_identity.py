"""Offline face metrics on dlib's face-recognition descriptors (128-d).

Does the cartoon still look like the person? ``FaceIdentitySimilarity`` compares
each generated image with its own input photo; ``FrechetFaceDistance`` compares
the descriptor distribution of all generated faces with that of real faces.

Faces are cut the way ``FaceIDLoss`` cuts them (the same code,
``faceutils.recognition.FaceEmbedding``: ``DEFAULT_FACE_BOX``, resized to the net's
150x150), so the metric measures what the identity loss optimises. ``detect=True`` instead finds the face with
``ppgan_lite.faceutils`` (dlib HOG + 5 landmarks) and cuts dlib's own aligned chip
(150 px, padding 0.25, what ``compute_face_descriptor`` uses). For pairs the chip is
located on the ground-truth photo and cut at the same place from the generated
image (a cartoon is often not detected, and the generator keeps the layout); where
no face is found the default box is used and counted (``faces_not_found``).

Thresholds for dlib's descriptors: dlib calls two faces the same person when their
Euclidean distance is below 0.6 (99.38% on LFW). The descriptors are not unit
vectors: their norms measured 1.2-1.5 (astronaut 1.45, Grace Hopper 1.40, skimage's
LFW faces 1.22-1.49, mean 1.33), and for two descriptors of norm n a distance d is a
cosine of 1 - d^2 / (2 n^2): 0.6 is 0.90 at n = 1.41. ``DEFAULT_COSINE_THRESHOLD``
is that value. Measured with the default box (astronaut crop against): itself 1.0,
flipped 0.990, 10% larger 0.990, shifted by 5% 0.973, JPEG q30 0.995, gray 0.993,
OpenCV-stylised 0.909, Grace Hopper 0.886, an LFW face 0.832.
"""
import numpy as np
import paddle

from ..utils.errors import ConfigError, DataError, FaceNotFoundError, check_positive_int
from ..utils.registry import METRICS
from .base import Metric, to_rgb
from .fid import FeatureDistributionMetric

SAME_PERSON_DISTANCE = 0.6
DEFAULT_COSINE_THRESHOLD = 0.9
CHIP_PADDING = 0.25  # dlib's face chip for recognition


class FaceEmbedder:
    """Face descriptors of images: ``embedder(images)``, NCHW RGB float in [0, 1]
    (array or tensor) -> (N, D) float64 numpy.

    Args:
        net, weights_path, crop: as ``FaceEmbedding`` (a recognition-net name or a
            callable, its weights, the face box as fractions of the image; None
            is ``DEFAULT_FACE_BOX``).
        detect: find the face with ``ppgan_lite.faceutils`` instead of the fixed box.
    """

    def __init__(self, net="dlib_resnet", weights_path=None, crop=None, detect=False,
                 batch_size=16):
        # imported when a face metric is built: PSNR or FID never load the face nets
        from ..faceutils.recognition import DEFAULT_FACE_BOX, FaceEmbedding

        self.cutter = FaceEmbedding(net=net, weights_path=weights_path,
                                    crop=DEFAULT_FACE_BOX if crop is None else crop)
        self.detect = bool(detect)
        self.batch_size = check_positive_int(batch_size, "face metric batch_size")
        self.faces_not_found = 0
        if self.detect:
            try:
                from ..faceutils import detect as face_detect
                import dlib
            except ImportError as exc:
                raise ConfigError(f"detect=True needs dlib and ppgan_lite.faceutils ({exc}): "
                                  f"pip install dlib-bin, or use detect=False") from None
            self._face_detect, self._dlib = face_detect, dlib

    def __call__(self, images):
        images = np.asarray(images, dtype=np.float32)
        return self.embed(images, self.locate(images) if self.detect else None)

    def locate(self, images):
        """Per image, dlib's chip location of its best face, or None (default box)."""
        chips = []
        for image in _to_uint8_hwc(images):
            try:
                faces = self._face_detect.detect_faces(image, landmarks=5)
                face = self._face_detect.best_face(faces)
            except FaceNotFoundError:
                self.faces_not_found += 1
                chips.append(None)
                continue
            left, top, right, bottom = (int(round(v)) for v in face.box)
            shape = self._dlib.full_object_detection(
                self._dlib.rectangle(left, top, right - 1, bottom - 1),
                [self._dlib.point(int(round(x)), int(round(y))) for x, y in face.landmarks])
            chips.append(self._dlib.get_face_chip_details(
                shape, size=self.cutter.input_size, padding=CHIP_PADDING))
        return chips

    def embed(self, images, chips=None):
        """(N, D) descriptors of NCHW [0, 1] images; ``chips[i]`` (from ``locate``)
        replaces the default box for image i where it is not None."""
        chips = chips if chips is not None else [None] * len(images)
        size = self.batch_size
        return np.concatenate([self._embed_batch(images[start:start + size],
                                                 chips[start:start + size])
                               for start in range(0, len(images), size)]).astype(np.float64)

    def _embed_batch(self, images, chips):
        rows = [None] * len(images)
        boxed = [i for i, chip in enumerate(chips) if chip is None]
        chipped = [i for i, chip in enumerate(chips) if chip is not None]
        with paddle.no_grad():
            if boxed:  # the Face-ID loss's crop and resize, on [-1, 1] images
                features = self.cutter.embed(paddle.to_tensor(images[boxed] * 2.0 - 1.0))
                for i, row in zip(boxed, features.numpy()):
                    rows[i] = row
            if chipped:  # dlib's aligned chips, [0, 255]
                faces = np.stack([self._dlib.extract_image_chip(_to_uint8_hwc(images[i:i + 1])[0],
                                                                chips[i]) for i in chipped])
                features = self.cutter.net(
                    paddle.to_tensor(faces.transpose(0, 3, 1, 2).astype(np.float32)))
                for i, row in zip(chipped, features.numpy()):
                    rows[i] = row
        return np.stack(rows)


def _to_uint8_hwc(images_nchw_01):
    return [np.ascontiguousarray(np.round(image.transpose(1, 2, 0) * 255.0).astype(np.uint8))
            for image in images_nchw_01]


def _as_nchw_01(images_nhwc_255):
    return to_rgb(images_nhwc_255).transpose(0, 3, 1, 2).astype(np.float32) / 255.0


@METRICS.register()
class FaceIdentitySimilarity(Metric):
    """Identity kept by the generator: descriptors of each ``gt_key`` photo and its
    ``pred_key`` image, compared pair by pair.

    ``accumulate()`` -> ``{'mean': mean cosine similarity, 'share_above': share of pairs
    with cosine >= threshold, 'threshold': ..., 'mean_distance': mean Euclidean
    distance, 'share_same_person': share with distance < same_person_distance (dlib's
    0.6 rule), 'num_images': ...}`` and ``'faces_not_found'`` with ``detect=True``.

    Args:
        threshold: cosine similarity counted as "same identity" (module docstring).
        same_person_distance: dlib's Euclidean same-person rule.
        net, weights_path, crop, detect, batch_size: see ``FaceEmbedder``.
    """

    def __init__(self, threshold=DEFAULT_COSINE_THRESHOLD,
                 same_person_distance=SAME_PERSON_DISTANCE, net="dlib_resnet",
                 weights_path=None, crop=None, detect=False, batch_size=16,
                 pred_key="fake", gt_key="real", input_range=(-1, 1)):
        for name, value in (("threshold", threshold),
                            ("same_person_distance", same_person_distance)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"FaceIdentitySimilarity.{name} must be a number, got {value!r}")
        if not -1.0 <= threshold <= 1.0:
            raise ConfigError(f"FaceIdentitySimilarity.threshold {threshold} is a cosine "
                              f"similarity: choose it in [-1, 1] "
                              f"(default {DEFAULT_COSINE_THRESHOLD})")
        self.threshold = float(threshold)
        self.same_person_distance = float(same_person_distance)
        self.embedder = FaceEmbedder(net, weights_path, crop, detect, batch_size)
        super().__init__(pred_key, gt_key, input_range)

    def reset(self):
        self.cosines, self.distances = [], []
        self.embedder.faces_not_found = 0

    def update(self, preds, gts=None):
        self._require_gts(gts)
        fake, real = self._images(preds, "preds"), self._images(gts, "gts")
        if len(fake) != len(real) or (self.embedder.detect and fake.shape[1:3] != real.shape[1:3]):
            raise DataError(f"FaceIdentitySimilarity compares image pairs: got preds "
                            f"{list(fake.shape)} and gts {list(real.shape)} (NHWC); they need "
                            f"the same count" + (" and size (detect=True)" if self.embedder.detect
                                                 else ""))
        real, fake = _as_nchw_01(real), _as_nchw_01(fake)
        chips = self.embedder.locate(real) if self.embedder.detect else None
        self.add_pairs(self.embedder.embed(real, chips), self.embedder.embed(fake, chips))

    def add_pairs(self, real_descriptors, fake_descriptors):
        """Record pairs of descriptors (N, D) directly."""
        self.cosines.extend(cosine_similarity(real_descriptors, fake_descriptors).tolist())
        self.distances.extend(np.linalg.norm(real_descriptors - fake_descriptors, axis=1).tolist())

    def accumulate(self):
        if not self.cosines:
            raise DataError("FaceIdentitySimilarity.accumulate() before any update: the "
                            "validation set gave no images")
        cosines, distances = np.array(self.cosines), np.array(self.distances)
        result = {"mean": float(cosines.mean()),
                  "share_above": float((cosines >= self.threshold).mean()),
                  "threshold": self.threshold,
                  "mean_distance": float(distances.mean()),
                  "share_same_person": float((distances < self.same_person_distance).mean()),
                  "num_images": int(len(cosines))}
        if self.embedder.detect:
            result["faces_not_found"] = int(self.embedder.faces_not_found)
        return result


def cosine_similarity(a, b):
    """Row-wise cosine similarity of two (N, D) arrays."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.maximum(norms, 1e-12)


@METRICS.register()
class FrechetFaceDistance(FeatureDistributionMetric):
    """Fréchet distance between the face-descriptor distributions of all ``pred_key``
    images and all ``gt_key`` images (unpaired; FID's maths on 128-d descriptors).

    Args:
        real_stats_path: ``.npz`` cache of the real faces' statistics (see fid.py).
        net, weights_path, crop, detect, batch_size: see ``FaceEmbedder`` (with
            ``detect=True`` every image is searched on its own).
        feature_extractor: any callable NCHW RGB float32 [0, 1] -> (N, D) instead.
    """

    def __init__(self, real_stats_path=None, net="dlib_resnet", weights_path=None,
                 crop=None, detect=False, batch_size=16, feature_extractor=None,
                 pred_key="fake", gt_key="real", input_range=(-1, 1)):
        net_name = net if isinstance(net, str) else type(net).__name__
        from ..faceutils.recognition import DEFAULT_FACE_BOX, check_crop

        crop = DEFAULT_FACE_BOX if crop is None else crop
        box = "detected" if detect else ",".join(
            f"{v:g}" for v in check_crop(crop, type(self).__name__))
        self.extractor_name = f"face:{net_name}:{box}"
        self._embedder_args = (net, weights_path, crop, detect, batch_size)
        super().__init__(real_stats_path, batch_size, feature_extractor, pred_key, gt_key,
                         input_range)

    def _build_extractor(self):
        return FaceEmbedder(*self._embedder_args)

    def accumulate(self):
        return self.frechet()
