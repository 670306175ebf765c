"""Photo2Cartoon on a video: the face followed from frame to frame, each frame's
cartoon written to an mp4 (written under a temporary name, renamed when complete)."""
import os
from dataclasses import replace

import cv2
import numpy as np

from ..faceutils import detect_faces
from ..utils.errors import ConfigError, DataError, FaceNotFoundError, ImageReadError
from ..utils.fileio import make_dirs
from .base_predictor import open_video


def cartoonize_video(predictor, path, output_file=None, detect_every=10, smoothing=0.5,
                     progress=None):
    """Cartoonize a video frame by frame into an ``output_size`` square .mp4.

    The face is followed by a ``FaceTracker``; frames where it is lost repeat the
    last cartoon (white before the first face). output_file defaults to
    ``output_path/<video name>_cartoon.mp4``; progress, if given, is called as
    ``progress(frames_done, frames_total)``. Returns a dict with the output file,
    fps, the frame count and the frames without a face.
    """
    path = os.fspath(path)
    if output_file is None:
        if predictor.output_path is None:
            raise ConfigError("run_video needs output_file or an output_path to write to")
        stem = os.path.splitext(os.path.basename(path))[0]
        output_file = os.path.join(predictor.output_path, f"{stem}_cartoon.mp4")
    capture = open_video(path)
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    folder = make_dirs(os.path.dirname(os.path.abspath(output_file)),
                       "video output folder")
    # written under a temporary name and renamed: a stopped run leaves no half video
    partial = os.path.join(folder, f".tmp-{os.getpid()}-{os.path.basename(output_file)}")
    size = predictor.output_size
    writer = cv2.VideoWriter(partial, cv2.VideoWriter_fourcc(*"mp4v"), fps, (size, size))
    tracker = FaceTracker(predictor, detect_every=detect_every, smoothing=smoothing)
    last = np.full((size, size, 3), 255, np.uint8)
    frames = lost = 0
    predictor._start_timing()
    try:
        if not writer.isOpened():
            raise ConfigError(f"OpenCV cannot write '{output_file}': use a .mp4 or "
                              f".avi name in a writable folder")
        while True:
            with predictor.stage("read"):
                ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            with predictor.stage("detect"):
                landmarks = tracker.update(rgb)
            if landmarks is None:
                lost += 1
            else:
                last = predictor.cartoonize(rgb, landmarks).cartoon
            with predictor.stage("write"):
                writer.write(cv2.cvtColor(last, cv2.COLOR_RGB2BGR))
            frames += 1
            if progress is not None:
                progress(frames, max(total, frames))
    except BaseException:
        writer.release()
        if os.path.exists(partial):
            os.remove(partial)
        raise
    finally:
        capture.release()
    writer.release()
    if frames == 0 or lost == frames:
        os.remove(partial)
        if frames == 0:
            raise ImageReadError(f"cannot read video '{path}': no frame could be decoded")
        raise FaceNotFoundError(f"no face found in any of the {frames} frames of '{path}': "
                                f"use a video with a visible frontal face")
    os.replace(partial, output_file)
    predictor._report_timing()
    return {"output": output_file, "fps": fps, "frames": frames,
            "frames_without_face": lost}


class FaceTracker:
    """The landmarks of one face through a video, steadier and cheaper than detecting
    every frame.

    The whole frame is searched every ``detect_every`` frames and whenever the face
    is lost; in between only a region three face-widths wide around the last face.
    Landmarks are smoothed by an exponential moving average (``smoothing`` is the
    weight of the past) so the aligned crop, and with it the cartoon, does not
    jitter; a jump of more than half a face width (a cut, another face) resets it.
    """

    def __init__(self, predictor, detect_every=10, smoothing=0.5):
        if not 0.0 <= smoothing < 1.0:
            raise ConfigError(f"smoothing={smoothing!r}: use a value in [0, 1)")
        self.predictor = predictor
        self.detect_every = max(1, int(detect_every))
        self.smoothing = smoothing
        self.frame = 0
        self.box = None
        self.landmarks = None

    def update(self, rgb):
        """(68, 2) landmarks of the tracked face in ``rgb``, or None if it is lost."""
        face = None
        if self.box is not None and self.frame % self.detect_every:
            face = self._search_near(rgb)
        if face is None:
            try:
                face = self.predictor.detect(rgb)[0]
            except FaceNotFoundError:
                face = None
        self.frame += 1
        if face is None:
            self.box = self.landmarks = None
            return None
        landmarks = face.landmarks.astype(np.float64)
        if self.landmarks is not None:
            jump = np.abs(landmarks.mean(0) - self.landmarks.mean(0)).max()
            if jump <= 0.5 * face.width:
                landmarks = self.smoothing * self.landmarks + (1 - self.smoothing) * landmarks
        self.box, self.landmarks = face.box, landmarks
        return landmarks.astype(np.float32)

    def _search_near(self, rgb):
        left, top, right, bottom = self.box
        reach = max(right - left, bottom - top)
        height, width = rgb.shape[:2]
        x0, y0 = max(0, int(left - reach)), max(0, int(top - reach))
        x1, y1 = min(width, int(right + reach) + 1), min(height, int(bottom + reach) + 1)
        try:
            faces = detect_faces(rgb[y0:y1, x0:x1], min_face_size=self.predictor.min_face_size)
        except (FaceNotFoundError, DataError):
            return None
        face = faces[0]
        box = (face.box[0] + x0, face.box[1] + y0, face.box[2] + x0, face.box[3] + y0)
        return replace(face, box=box, landmarks=face.landmarks + np.float32([x0, y0]))
