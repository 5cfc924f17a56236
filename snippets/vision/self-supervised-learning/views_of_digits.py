"""Two random views of each of five digits: the positive pairs a contrastive task
compares, made by shifting each digit and adding noise."""

import numpy as np
from matplotlib.figure import Figure

from dlcv.contrastive import make_views
from dlcv.data import load_digits_images
from dlcv.plot import save_figure, use_style

images, labels = load_digits_images()
digits = images[[np.flatnonzero(labels == d)[0] for d in (1, 2, 4, 7, 9)]]
view1, view2 = make_views(digits, max_shift=1, noise=0.1, seed=0)

# How far apart the views are, in pixels, next to two different digits.
same = np.abs(view1 - view2).mean(axis=(1, 2, 3))
other = np.abs(view1 - np.roll(view2, 1, axis=0)).mean(axis=(1, 2, 3))
print("mean absolute pixel difference")
print(f"  two views of the same digit:  {same.mean():.3f}")
print(f"  views of two different digits: {other.mean():.3f}")

use_style()
fig = Figure(figsize=(5.6, 3.6))
axes = fig.subplots(3, len(digits))
for column, (digit, a, b) in enumerate(zip(digits, view1, view2, strict=True)):
    for row, image in enumerate((digit, a, b)):
        ax = axes[row, column]
        ax.imshow(image[..., 0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
for row, name in enumerate(("digit", "view 1", "view 2")):
    axes[row, 0].set_ylabel(name)
save_figure(
    fig,
    "views_of_digits.png",
    caption="Five digits and two random views of each",
    alt=(
        "A grid of 8 by 8 pixel digits, 1, 2, 4, 7 and 9 in columns: the original "
        "digit in the top row, and below it two views of it, each shifted by up to "
        "one pixel in each direction and sprinkled with faint noise; every view is "
        "still plainly the same digit, and none is mirrored."
    ),
)
