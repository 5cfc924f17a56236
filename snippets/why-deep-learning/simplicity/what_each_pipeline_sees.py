"""What each pipeline computes from a face: a designed HOG descriptor, or learned
feature maps."""

import keras
import numpy as np
from matplotlib.figure import Figure
from skimage import data
from skimage.feature import hog

from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)

# 100 faces, then 100 background crops, 25x25
faces = data.lfw_subset().astype(np.float32)
labels = np.repeat([1, 0], 100)

# --8<-- [start:features]
# Engineered: orientation histograms of the gradient in 6x6-pixel cells, fixed by
# design.
examples = {"face": faces[0], "non-face": faces[100]}
descriptors, pictures = {}, {}
for name, image in examples.items():
    descriptors[name], pictures[name] = hog(
        image,
        orientations=9,
        pixels_per_cell=(6, 6),
        cells_per_block=(2, 2),
        visualize=True,
    )

# Learned: the same convnet as in the comparison, trained on all 200 crops; its first
# layer's 16 filters are whatever helped tell faces from background.
model = keras.Sequential(
    [
        keras.Input((25, 25, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="first"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
model.compile(keras.optimizers.Adam(5e-3), loss="sparse_categorical_crossentropy")
model.fit(faces[..., None], labels, epochs=20, batch_size=64, verbose=0)
first_layer = keras.Model(model.inputs[0], model.get_layer("first").output)
maps = {
    name: np.asarray(first_layer(image[None, ..., None]))[0]
    for name, image in examples.items()
}
# --8<-- [end:features]

# Show the four filters whose responses differ most between the face and the background
# crop.
difference = np.abs(maps["face"] - maps["non-face"]).mean(axis=(0, 1))
shown = np.argsort(difference)[::-1][:4]

print(
    f"HOG descriptor: {descriptors['face'].size} numbers per 25x25 crop, no learned "
    f"parameters"
)
kernel, bias = model.get_layer("first").get_weights()
filters, parameters = kernel.shape[-1], kernel.size + bias.size
print(f"Convnet first layer: {filters} learned 3x3 filters, {parameters} parameters")
print(
    f"Filters shown (largest face/background difference): "
    f"{', '.join(str(f) for f in shown)}"
)

use_style()
fig = Figure(figsize=(5.6, 2.5), layout="constrained")
axes = fig.subplots(2, 6)
for row, name in enumerate(examples):
    # Each learned filter uses one intensity scale for both rows, so brightness is
    # comparable.
    panels = [(examples[name], name, 1.0), (pictures[name], "HOG", None)]
    panels += [
        (
            maps[name][..., f],
            f"filter {f}",
            max(maps[n][..., f].max() for n in maps),
        )
        for f in shown
    ]
    for ax, (picture, title, top) in zip(axes[row], panels, strict=True):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=top)
        ax.set_title(title)
        ax.set_axis_off()
save_figure(
    fig,
    "what_each_pipeline_sees.png",
    caption="The image, its HOG features and four learned filters' maps",
    alt=(
        "Two rows: a 25 by 25 pixel face crop and a background crop from the LFW "
        "subset. Next to each image: its HOG visualisation, small star-shaped glyphs "
        "whose strokes show the strength of each gradient orientation in each 6 by 6 "
        "pixel cell, then the responses of four first-layer filters of a convnet "
        "trained on the crops, drawn on one brightness scale per filter for both rows; "
        "they respond to edges and to bright or dark regions, and differ between the "
        "face and the background crop."
    ),
)
