"""CAM heatmaps as images a person can read (the U-GAT-IT paper's Fig. 2 style)."""
import cv2
import numpy as np
import paddle


def heatmap_image(heatmap, like):
    """(N,1,h,w) attention map -> (N,3,H,W) JET-coloured image in [-1, 1], the size of
    ``like``; each map is min-max scaled on its own."""
    maps = heatmap.numpy()[:, 0]
    height, width = like.shape[2], like.shape[3]
    out = []
    for m in maps:
        m = (m - m.min()) / (m.max() - m.min() + 1e-8)
        m = cv2.resize((m * 255).astype(np.uint8), (width, height),
                       interpolation=cv2.INTER_LINEAR)
        colour = cv2.applyColorMap(m, cv2.COLORMAP_JET)[..., ::-1]  # BGR -> RGB
        out.append(colour.transpose(2, 0, 1))
    return paddle.to_tensor(np.stack(out).astype("float32") / 127.5 - 1.0)
