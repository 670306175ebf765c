"""Console, JSONL and (when installed) VisualDL logging for a training run."""
import json
import logging
import math
import os
import sys
import time

_FMT = "[%(asctime)s] ppgan_lite %(levelname)s: %(message)s"


class _CurrentStdout(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is now (test runners and tqdm swap it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def get_logger(name="ppgan_lite", output_dir=None):
    """The console logger; with ``output_dir`` its lines also go to that run's
    ``train.log`` (one run file at a time: a new run replaces the previous one's)."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = _CurrentStdout()
        handler.setFormatter(logging.Formatter(_FMT, "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    if output_dir:
        path = os.path.abspath(os.path.join(output_dir, "train.log"))
        for h in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
            if h.baseFilename != path:
                logger.removeHandler(h)
                h.close()
        if not any(isinstance(h, logging.FileHandler) for h in logger.handlers):
            os.makedirs(output_dir, exist_ok=True)
            fh = logging.FileHandler(path)
            fh.setFormatter(logging.Formatter(_FMT, "%Y-%m-%d %H:%M:%S"))
            logger.addHandler(fh)
    return logger


def to_run_file(logger, message, level=logging.INFO):
    """``message`` into the run's ``train.log`` only: the console already shows it
    (the trainer prints its iteration lines with ``tqdm.write`` so the bar survives)."""
    record = logger.makeRecord(logger.name, level, __file__, 0, message, None, None)
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class JsonlWriter:
    """Appends one JSON object per line; each line is flushed so a crash loses nothing
    and ``tail -f`` works."""

    def __init__(self, path, enabled=True):
        self.path = path
        self._file = None
        if enabled:  # off on the non-zero ranks of a distributed run
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._file = open(path, "a", encoding="utf-8")

    def write(self, record):
        if self._file is None:
            return
        record = {k: _clean(v) for k, v in record.items()}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()


def read_jsonl(path):
    records = []
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue  # a line cut by a crash
    return records


class VisualDLWriter:
    """Scalars to VisualDL when the package is installed; otherwise does nothing."""

    def __init__(self, logdir, enabled=True):
        self._writer = None
        if not enabled:
            return
        try:
            from visualdl import LogWriter
        except ImportError:
            return
        self._writer = LogWriter(logdir=logdir)

    def scalars(self, values, step):
        if self._writer:
            for key, value in values.items():
                if isinstance(value, (int, float)) and math.isfinite(value):
                    self._writer.add_scalar(tag=key, step=step, value=value)

    def close(self):
        if self._writer:
            self._writer.close()


class Timer:
    """Smoothed batch and reader cost for the log line."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.batch_cost = self.reader_cost = 0.0
        self.count = 0
        self.samples = 0

    def add(self, batch_cost, reader_cost, samples):
        self.batch_cost += batch_cost
        self.reader_cost += reader_cost
        self.samples += samples
        self.count += 1

    def averages(self):
        n = max(1, self.count)
        batch = self.batch_cost / n
        return {"batch_cost": batch, "reader_cost": self.reader_cost / n,
                "ips": self.samples / self.batch_cost if self.batch_cost > 0 else 0.0}


def format_eta(seconds):
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


now = time.perf_counter
