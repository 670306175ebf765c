"""A randomly initialised FaceSegNet saved as PaddleGAN saves its
faceseg_FCN-HRNetW18.pdparams (paddle.save of the state dict), for the faceutils and
predictor tests.

A random HRNet's features reach ~1e9 (its batch norms have never seen data), so the
head's batch norm gets a variance to match: logits of a few units, soft masks rather
than a 0/1 one, so comparisons between ways of running the net mean something."""


def save_faceseg_weights(path, seed=0):
    import paddle

    from ppgan_lite.faceutils.faceseg_net import FaceSegNet

    paddle.seed(seed)
    state = FaceSegNet().state_dict()
    state["head.conv_1._batch_norm._variance"] = paddle.full([270], 1e18)
    paddle.save(state, str(path))
    return str(path)
