"""ppgan_lite: GAN training and Photo2Cartoon on PaddlePaddle 3, in the PaddleGAN style."""
import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    with open(os.path.join(HERE, "ppgan_lite", "__init__.py")) as f:
        for line in f:
            if line.startswith("__version__"):
                return line.split("=")[1].strip().strip('"\'')
    raise RuntimeError("no __version__ in ppgan_lite/__init__.py")


# paddlepaddle is the CPU wheel; GPU users install paddlepaddle-gpu first (README),
# which satisfies the same import. PPGAN_LITE_SKIP_PADDLE=1 leaves it out entirely.
paddle_req = [] if os.environ.get("PPGAN_LITE_SKIP_PADDLE") == "1" else ["paddlepaddle>=3.0"]

setup(
    name="ppgan_lite",
    version=read_version(),
    description="GAN toolkit on PaddlePaddle 3: DCGAN family, U-GAT-IT, Photo2Cartoon",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["ppgan_lite", "ppgan_lite.*"]),
    package_data={"ppgan_lite": ["faceutils/weights/*.npz", "faceutils/weights/*.txt",
                                 "faceutils/weights/LICENSE*", "faceutils/weights/NOTICE*"]},
    include_package_data=True,
    install_requires=paddle_req + [
        "numpy",
        "opencv-python-headless",
        "pyyaml",
        "pillow",
        "scikit-image",
        "matplotlib",
        "tqdm",
        "dlib-bin",
        "face-recognition-models",
    ],
    extras_require={
        # the ONNX export and backend tests run in CI too
        "test": ["pytest>=7", "onnxruntime", "paddle2onnx"],
        "onnx": ["onnxruntime", "paddle2onnx"],
        "visualdl": ["visualdl"],
    },
    entry_points={"console_scripts": ["ppgan-lite-train=ppgan_lite.engine.cli:main"]},
)
