"""Classic hand-made filters (edges, blur, sharpening) applied to real photos by one
convolution."""

import keras
import numpy as np
from matplotlib.figure import Figure
from skimage import data

from dlcv.plot import save_figure, use_style
from dlcv.scratch import conv2d

keras.utils.set_random_seed(0)

# --8<-- [start:filters]
sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])  # left-to-right differences
sobel_y = sobel_x.T  # top-to-bottom differences
box = np.ones((7, 7)) / 49  # the mean of a 7x7 window
offsets = np.arange(-4, 5)
gauss_1d = np.exp(-(offsets**2) / (2 * 1.5**2))
gaussian = np.outer(gauss_1d, gauss_1d) / gauss_1d.sum() ** 2  # sigma = 1.5 pixels, 9x9
# the pixel plus its difference
sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
# from its four neighbours


def apply(image, kernel_2d):
    """Filter every channel of an (H, W, C) image with the same 2D kernel."""
    # The channels become a batch of one-channel images, so one (k, k, 1, 1) kernel
    # filters each of them on its own; "same" zero-pads the borders to keep the image
    # size.
    planes = np.moveaxis(image, -1, 0)[..., None].astype("float32")
    kernel = kernel_2d[:, :, None, None].astype("float32")
    filtered = conv2d(planes, kernel, padding="same").numpy()
    return np.moveaxis(filtered[..., 0], 0, -1)


camera = data.camera()[..., None] / 255.0  # 512x512 grayscale, one channel
face = data.astronaut()[0:256, 128:384] / 255.0  # 256x256 RGB crop
edges_x, edges_y = apply(camera, sobel_x), apply(camera, sobel_y)
magnitude = np.sqrt(edges_x**2 + edges_y**2)
blurred_box, blurred_gauss = apply(face, box), apply(face, gaussian)
sharpened = apply(face, sharpen)

print("kernel    size   sum of weights   output range on the photo")
for name, kernel, output in [
    ("sobel x", sobel_x, edges_x),
    ("sobel y", sobel_y, edges_y),
    ("box", box, blurred_box),
    ("gaussian", gaussian, blurred_gauss),
    ("sharpen", sharpen, sharpened),
]:
    size = f"{kernel.shape[0]}x{kernel.shape[1]}"
    low, high = output.min(), output.max()
    print(f"{name:<9} {size:>5}   {kernel.sum():>14.2f}   [{low:6.2f}, {high:5.2f}]")
# --8<-- [end:filters]

use_style()
fig = Figure(figsize=(5.6, 3.9))
axes = fig.subplots(2, 4)
panels = [
    (camera[..., 0], "camera", "gray", None),
    (edges_x[..., 0], "Sobel x\n(vertical edges)", "RdBu_r", 1.5),
    (edges_y[..., 0], "Sobel y\n(horizontal)", "RdBu_r", 1.5),
    (magnitude[..., 0], "edge\nmagnitude", "magma", None),
    (face, "astronaut", None, None),
    (blurred_box, "7x7 box\nblur", None, None),
    (blurred_gauss, "Gaussian blur\nsigma 1.5", None, None),
    (sharpened, "sharpen", None, None),
]
for ax, (image, title, cmap, limit) in zip(axes.flat, panels, strict=True):
    if limit is None:
        ax.imshow(np.clip(image, 0, None if cmap else 1), cmap=cmap)
    else:
        ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
    ax.set_title(title)
    ax.set_axis_off()
save_figure(
    fig,
    "classic_filters.png",
    caption="Classic hand-designed filters on two photos",
    alt=(
        "Two rows of four images. Top: the camera-man photo, then its Sobel x "
        "response, where vertical edges such as the tripod legs and the coat's outline "
        "appear red or blue by the direction of the brightness change, the Sobel y "
        "response, where horizontal edges such as the horizon stand out, and the edge "
        "magnitude, bright along every outline. Bottom: a crop of the astronaut photo "
        "around her face, the same crop blurred by a 7x7 box filter and by a Gaussian "
        "filter, both softer, and sharpened, with crisper hair and stronger fine "
        "detail. The blurred crops darken at their borders, where the zero padding "
        "enters the window."
    ),
)
