"""The face pipeline of photo2cartoon: detect (dlib), align and crop (PaddleGAN's
margins, white padding), segment the person (MediaPipe selfie net, PaddleGAN's
FCN-HRNetW18 "faceseg" with the user's weights, or GrabCut) and composite on white.
Paddle is only imported when a segmentation net first loads.
"""
from .detect import Face, best_face, detect_faces
from .align import AlignInfo, align_crop
from .segmentation import composite_on_white, faceseg_weights_path, segment
