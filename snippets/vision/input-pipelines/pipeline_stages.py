"""Decode, resize, cache, shuffle, batch, augment, prefetch: what each stage does to the
batches."""

import tempfile
from pathlib import Path

import keras
import numpy as np
from matplotlib.figure import Figure
from PIL import Image
from skimage import data

from dlcv.data import make_folder_dataset
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
use_style()
workspace = tempfile.TemporaryDirectory()
root = Path(workspace.name) / "photos"

# Three classes of photo crops, 96 to 200 pixels a side: the pipeline resizes them all.
for name, photo in (
    ("cat", data.chelsea()),
    ("coffee", data.coffee()),
    ("rocket", data.rocket()),
):
    (root / name).mkdir(parents=True)
    for index in range(8):
        side = int(rng.integers(96, 201))
        row = int(rng.integers(0, photo.shape[0] - side))
        col = int(rng.integers(0, photo.shape[1] - side))
        crop = photo[row : row + side, col : col + side]
        Image.fromarray(crop).save(root / name / f"{index}.jpg")

augment = keras.Sequential(
    [
        keras.layers.RandomFlip("horizontal", seed=1),
        keras.layers.RandomRotation(0.1, seed=2),
    ]
)
dataset = make_folder_dataset(
    root, image_size=96, batch_size=8, cache=True, augment=augment, seed=0
)
print("batches per epoch:", int(dataset.cardinality()))
print("element:", dataset.element_spec)
for epoch in (1, 2):
    print(
        f"epoch {epoch}, labels of each batch:",
        [y.numpy().tolist() for _, y in dataset],
    )

# The same first batch twice (no shuffle), with and without augmentation.
for augmented in (False, True):
    fixed = make_folder_dataset(
        root,
        image_size=96,
        batch_size=8,
        shuffle=False,
        cache=True,
        augment=augment if augmented else None,
    )
    # Whole epochs: a cache is kept only once an epoch has been read to the end.
    epochs = [list(fixed) for _ in range(2)]
    first, second = (batches[0][0].numpy() for batches in epochs)
    change = float(np.abs(first - second).mean())
    print(
        f"augment={augmented}: mean change of the first batch between epochs "
        f"{change:.3f}"
    )

fig = Figure(figsize=(5.6, 2.3))
axes = fig.subplots(2, 6)
for row, images in enumerate((first, second)):
    for column, ax in enumerate(axes[row]):
        ax.imshow(images[column])
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(f"epoch {row + 1}")
fig.suptitle("Six cached crops, augmented afresh each epoch")
save_figure(
    fig,
    "augmented_epochs.png",
    caption="The same crops in two epochs, augmented differently",
    alt="Two rows of six crops of the same cat photo, 96 by 96 pixels: the top row "
    "from the first epoch, the bottom from the second. The images are the same "
    "decoded crops, but each is flipped and rotated differently in the two epochs.",
)
workspace.cleanup()
