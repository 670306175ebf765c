"""The face pipeline of photo2cartoon: detect (dlib), align and crop (PaddleGAN's
margins, white padding), segment the person (MediaPipe selfie net or GrabCut) and
composite on white. Paddle is only imported when the selfie net first runs.
"""
from .detect import Face, best_face, detect_faces
from .align import AlignInfo, align_crop
from .segmentation import composite_on_white, segment
