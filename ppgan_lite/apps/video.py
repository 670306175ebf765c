"""Photo2Cartoon on a video: the face followed from frame to frame, each frame's
cartoon written to an mp4 (written under a temporary name, renamed when complete)."""
import contextlib
import os
from dataclasses import replace

import cv2
import numpy as np

from ..faceutils import detect_faces
from ..utils.errors import ConfigError, DataError, FaceNotFoundError, ImageReadError
from ..utils.fileio import make_dirs
from .base_predictor import open_video


def video_output_file(predictor, path, output_file, suffix):
    """``output_file``, or ``output_path/<video name>_<suffix>.mp4``."""
    if output_file is not None:
        return output_file
    if predictor.output_path is None:
        raise ConfigError("run_video needs output_file or an output_path to write to")
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    return os.path.join(predictor.output_path, f"{stem}_{suffix}.mp4")


def map_video_frames(path, output_file, frame_fn, progress=None, stage=None, check=None):
    """Write ``frame_fn(rgb_frame)`` (an RGB uint8 image, the same size every frame)
    for each frame of the video ``path`` into the mp4 ``output_file``.

    The video is written under a temporary name and renamed when complete, so a
    stopped run leaves no half video. ``stage(name)``, if given, is a context manager
    that times 'read' and 'write'; ``progress(done, total)`` is called per frame;
    ``check(frames)``, called before the rename, may raise to refuse the video (an
    earlier ``output_file`` then stays as it was). Returns (fps, frames); raises
    ImageReadError when no frame decodes.
    """
    stage = stage or (lambda name: contextlib.nullcontext())
    capture = open_video(path)
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    folder = make_dirs(os.path.dirname(os.path.abspath(output_file)), "video output folder")
    partial = os.path.join(folder, f".tmp-{os.getpid()}-{os.path.basename(output_file)}")
    writer, frames = None, 0
    try:
        while True:
            with stage("read"):
                ok, bgr = capture.read()
            if not ok:
                break
            out = frame_fn(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if writer is None:
                writer = cv2.VideoWriter(partial, cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                         (out.shape[1], out.shape[0]))
                if not writer.isOpened():
                    raise ConfigError(f"OpenCV cannot write '{output_file}': use a .mp4 "
                                      f"or .avi name in a writable folder")
            with stage("write"):
                writer.write(cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
            frames += 1
            if progress is not None:
                progress(frames, max(total, frames))
        if writer is None:
            raise ImageReadError(f"cannot read video '{path}': no frame could be decoded")
        writer.release()
        if check is not None:
            check(frames)
    except BaseException:
        if writer is not None:
            writer.release()
        if os.path.exists(partial):
            os.remove(partial)
        raise
    finally:
        capture.release()
    os.replace(partial, output_file)
    return fps, frames


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
    output_file = video_output_file(predictor, path, output_file, "cartoon")
    size = predictor.output_size
    tracker = FaceTracker(predictor, detect_every=detect_every, smoothing=smoothing)
    state = {"last": np.full((size, size, 3), 255, np.uint8), "lost": 0}

    def cartoon(rgb):
        with predictor.stage("detect"):
            landmarks = tracker.update(rgb)
        if landmarks is None:  # the last cartoon again (white before the first face)
            state["lost"] += 1
        else:
            state["last"] = predictor.cartoonize(rgb, landmarks).cartoon
        return state["last"]

    def some_face(frames):
        if state["lost"] == frames:
            raise FaceNotFoundError(f"no face found in any of the {frames} frames of "
                                    f"'{path}': use a video with a visible frontal face")

    predictor._start_timing()
    fps, frames = map_video_frames(path, output_file, cartoon, progress, predictor.stage,
                                   check=some_face)
    predictor._report_timing()
    return {"output": output_file, "fps": fps, "frames": frames,
            "frames_without_face": state["lost"]}


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


@contextlib.contextmanager
def frame_progress(desc):
    """A tqdm bar for a video run: yields the ``progress(done, total)`` callback that
    ``map_video_frames`` and the predictors' ``run_video`` take."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="frame")

    def progress(done, total):
        bar.total = total
        bar.update(1)

    try:
        yield progress
    finally:
        bar.close()
