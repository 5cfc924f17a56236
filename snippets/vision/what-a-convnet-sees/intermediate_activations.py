"""Intermediate activations of a face classifier: which channels tell faces from
background?"""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.interpret import train_face_classifier
from dlcv.plot import save_figure, use_style
from dlcv.probing import layer_outputs

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# --8<-- [start:activations]
# The face classifier of this page, trained on 150 of the LFW subset's 200 grey 25x25
# crops; 25 faces and 25 background crops are held out.
model, crops, labels, faces, backgrounds = train_face_classifier(rng)
held_out = np.concatenate([faces, backgrounds])
accuracy = np.mean(
    model.predict(crops[held_out], verbose=0).argmax(axis=1) == labels[held_out]
)
print(f"Face or not: accuracy on the 50 held-out crops {accuracy:.2f}\n")


# Read every conv layer's maps for the 50 held-out crops, and ask of each channel: how
# often does a face excite it more (mean over positions) than a background crop does?
# 0.5 means the channel cannot tell them apart; 1.0 (or 0.0) means it alone separates
# them perfectly.
face_crops, background_crops = crops[faces], crops[backgrounds]
layers = ["conv_1", "conv_2", "conv_3"]
on_faces = layer_outputs(model, face_crops, layer_names=layers)
on_backgrounds = layer_outputs(model, background_crops, layer_names=layers)

print(
    f"{'layer':<8}{'maps':>7}{'channels':>10}"
    f"{'best channel':>14}{'channels above 0.9':>20}"
)
separation = {}
for layer in layers:
    f = on_faces[layer].mean(axis=(1, 2))  # (25 faces, channels)
    b = on_backgrounds[layer].mean(axis=(1, 2))
    # over all face-background pairs
    wins = (f[:, None, :] > b[None, :, :]).mean(axis=(0, 1))
    separation[layer] = np.maximum(wins, 1 - wins)  # a channel may fire for either side
    best = int(separation[layer].argmax())
    size = "x".join(str(n) for n in on_faces[layer].shape[1:3])
    print(
        f"{layer:<8}{size:>7}{f.shape[1]:>10}"
        f"{f'#{best}: {separation[layer][best]:.2f}':>14}"
        f"{np.sum(separation[layer] > 0.9):>20}"
    )
# --8<-- [end:activations]

use_style()
fig = Figure(figsize=(5.6, 3.4))
grid = fig.subplots(2, 4)
for row, (name, images, maps) in enumerate(
    [("face", face_crops, on_faces), ("background", background_crops, on_backgrounds)]
):
    grid[row, 0].imshow(images[0, ..., 0], cmap="gray", vmin=0, vmax=1)
    grid[row, 0].set_title(name)
    for ax, layer in zip(grid[row, 1:], layers, strict=True):
        channel = int(separation[layer].argmax())
        # One colour scale per channel for both rows, so their brightness compares.
        top = max(
            on_faces[layer][0, ..., channel].max(),
            on_backgrounds[layer][0, ..., channel].max(),
        )
        ax.imshow(maps[layer][0, ..., channel], cmap="magma", vmin=0, vmax=top)
        ax.set_title(f"{layer}\n#{channel}")
for ax in grid.flat:
    ax.set_xticks([])
    ax.set_yticks([])
save_figure(
    fig,
    "activations_by_depth.png",
    caption="A held-out face and background, and one channel's map at each depth",
    alt=(
        "Two rows: a held-out face crop and a held-out background crop, each followed "
        "by the activation map of the channel that best tells faces from background in "
        "conv_1 (25 by 25 cells), conv_2 (12 by 12) and conv_3 (6 by 6), drawn on one "
        "colour scale per channel for both rows. The maps grow coarser with depth, and "
        "the conv_3 channel glows across the face while staying dark on the background "
        "crop."
    ),
)
