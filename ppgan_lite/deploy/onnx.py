"""Exported Paddle programs converted to ONNX by paddle2onnx, with its failures as one
line (it reports them by printing and calling ``sys.exit``)."""
import contextlib
import io
import os
import re

from .meta import ONNX_FILE, ONNX_INSTALL_HINT, ExportError, program_files, write_file_atomically

DEFAULT_OPSET = 13
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_line(exc):
    """The line of a (multi-line) Paddle error that says what went wrong."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line):
            return line
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def onnx_bytes(directory, opset=DEFAULT_OPSET):
    """The exported Paddle model in ``directory`` converted to ONNX."""
    try:
        import paddle2onnx
    except ImportError:
        raise ExportError(f"ONNX export needs paddle2onnx: {ONNX_INSTALL_HINT}") from None
    program, params = program_files(directory)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            # save_file=None returns the model: we write it ourselves (atomically) and
            # skip paddle2onnx's optional polygraphy pass, which may pip-install at run time
            model = paddle2onnx.export(program, params, None, opset_version=int(opset),
                                       enable_onnx_checker=True)
    except (Exception, SystemExit) as exc:
        reason = _paddle2onnx_reason(printed.getvalue()) or error_line(exc)
        raise ExportError(f"paddle2onnx {paddle2onnx.__version__} could not convert "
                          f"'{program}': {reason}") from None
    if not isinstance(model, (bytes, bytearray)) or not model:
        raise ExportError(f"paddle2onnx {paddle2onnx.__version__} returned no model for "
                          f"'{program}': {_paddle2onnx_reason(printed.getvalue())}")
    return bytes(model)


def _paddle2onnx_reason(printed):
    text = _ANSI.sub("", printed)
    for line in text.splitlines():
        if "[ERROR]" in line:
            reason = line.split("[ERROR]", 1)[1].strip()
            return reason.replace("Failed to convert PaddlePaddle model: ", "")
    return ""


def write_onnx(directory, onnx_path=None, opset=DEFAULT_OPSET):
    """Convert the exported model in ``directory``; write it atomically to
    ``onnx_path`` (default ``directory/model.onnx``). Returns the path."""
    onnx_path = onnx_path or os.path.join(directory, ONNX_FILE)
    return write_file_atomically(onnx_path, onnx_bytes(directory, opset))


def check_onnx_available():
    """ExportError before any work when paddle2onnx is missing (the Paddle export
    itself needs nothing more)."""
    try:
        import paddle2onnx  # noqa: F401
    except ImportError:
        raise ExportError(f"--onnx needs paddle2onnx: {ONNX_INSTALL_HINT}; without --onnx "
                          f"the Paddle export works as it is") from None
