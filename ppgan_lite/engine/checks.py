"""What the trainer checks before the first step, so a run that cannot work stops
with one line instead of failing deep inside Paddle."""
import paddle

from ..utils.errors import ConfigError


def check_amp_available():
    if not paddle.is_compiled_with_cuda() or paddle.device.cuda.device_count() == 0:
        # bfloat16 is no way out on CPU: Paddle 3.3 has no CPU bfloat16 conv or
        # matmul kernel and its autocast leaves them float32 (tools/benchmark.py
        # --modes bf16 checks a given install)
        raise ConfigError("--amp needs a GPU (paddlepaddle-gpu and a CUDA device); "
                          "this run is on CPU, where Paddle has no mixed-precision "
                          "kernels: drop --amp")


def check_data_fits(model, dataset, where):
    """The images a data set gives must be the ones the model takes (its
    ``batch_inputs``): a 7 px image into a 32 px DCGAN would otherwise reach Paddle's
    convolution kernels, which can crash the process instead of raising."""
    sample = dataset[0]
    for item in model.batch_inputs():
        value = sample.get(item.name)
        if item.kind != "image" or not hasattr(value, "shape"):
            continue
        got, want = tuple(value.shape), tuple(item.shape)
        fits = len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want))
        if not fits:
            wanted = "x".join("any" if d is None else str(d) for d in want)
            raise ConfigError(
                f"{where} gives '{item.name}' images of {'x'.join(map(str, got))} (CxHxW) but "
                f"{type(model).__name__} takes {wanted}: resize or crop the data to that size "
                f"in {where}.preprocess, or set the nets' img_size to the data's")
