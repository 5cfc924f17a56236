"""Grad-CAM on real photos: does a small face classifier look at the face?"""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.interpret import (
    grad_cam,
    overlay_heatmap,
    train_face_classifier,
    upsample_heatmap,
)
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# The face classifier of this page, trained on 150 of scikit-image's LFW subset's 200
# grey 25x25 crops (the first 100 faces, the last 100 background); 25 faces and 25
# background crops are held out. Convolutions, then a global average: no layer fixes
# the image size.
model, crops, labels, faces, backgrounds = train_face_classifier(rng)

# --8<-- [start:heatmaps]
# One 50x50 scene per held-out face: the face in a random quadrant, three held-out
# background crops in the others. The model never saw these crops, nor any scene.
scenes, quadrants = [], []
for face in faces:
    tiles = list(crops[rng.choice(backgrounds, size=3, replace=False)])
    quadrant = int(rng.integers(4))
    tiles.insert(quadrant, crops[face])
    top, bottom = np.concatenate(tiles[:2], axis=1), np.concatenate(tiles[2:], axis=1)
    scenes.append(np.concatenate([top, bottom], axis=0))
    quadrants.append(quadrant)
scenes = np.stack(scenes)

# Heatmaps at the last convolutional layer (12x12 on a 50x50 scene), resized to the
# scene.
untrained = keras.models.clone_model(model)  # same architecture, fresh random weights
heatmaps = {
    "'face', trained model": grad_cam(model, scenes, layer="conv_3", class_index=1),
    "'not a face', trained model": grad_cam(
        model, scenes, layer="conv_3", class_index=0
    ),
    "'face', untrained model": grad_cam(
        untrained, scenes, layer="conv_3", class_index=1
    ),
}
heatmaps = {name: upsample_heatmap(maps, (50, 50)) for name, maps in heatmaps.items()}

print(f"{'Class explained, model':<30}{'heat on the face':>18}{'peak on the face':>18}")
for name, maps in heatmaps.items():
    on_face, peaks = [], 0
    for heatmap, quadrant in zip(maps, quadrants, strict=True):
        row, col = divmod(quadrant, 2)
        face_part = heatmap[25 * row : 25 * row + 25, 25 * col : 25 * col + 25]
        # a map with no positive evidence at all has no share to give
        if heatmap.sum() > 0:
            on_face.append(face_part.sum() / heatmap.sum())
        peak = np.unravel_index(heatmap.argmax(), heatmap.shape)
        peaks += int(heatmap.max() > 0 and (peak[0] // 25, peak[1] // 25) == (row, col))
    share = f"{np.mean(on_face):.2f}" if on_face else "-"
    print(f"{name:<30}{share:>18}{f'{peaks}/{len(maps)}':>18}")
print(f"{'chance (a quarter of a scene)':<30}{0.25:>18.2f}")

# Where does the evidence against a face sit? Compare its heat on black pixels with
# their area.
black = scenes[..., 0] <= 0.02
against, for_face = (
    heatmaps["'not a face', trained model"],
    heatmaps["'face', trained model"],
)
print(f"\nBlack pixels: {black.mean():.0%} of the scenes' area, ", end="")
print(f"{against[black].sum() / against.sum():.0%} of the 'not a face' heat, ", end="")
print(f"{for_face[black].sum() / for_face.sum():.0%} of the 'face' heat")
for name, part in [("background", crops[100:]), ("face", crops[:100])]:
    mostly_black = np.sum((part <= 0.02).mean(axis=(1, 2, 3)) > 0.1)
    print(
        f"{name.capitalize()} crops with over 10% black pixels: {mostly_black} of 100"
    )

# A hypothesis to test: black areas alone count against a face. Paint the top 10 rows of
# each held-out face black, grey or white, and ask the model again.
print("Held-out faces still called 'face' with their top 10 rows painted:")
held_out_faces = crops[faces]
for paint, value in [
    ("not painted", None),
    ("grey", 0.5),
    ("white", 1.0),
    ("black", 0.0),
]:
    painted = held_out_faces.copy()
    if value is not None:
        painted[:, :10] = value
    called_face = np.sum(model.predict(painted, verbose=0).argmax(axis=1) == 1)
    print(f"  {paint:<12}{called_face:>3}/25")
# --8<-- [end:heatmaps]

use_style()
shown = range(5)
fig = Figure(figsize=(5.6, 4.1))
grid = fig.subplots(4, len(shown))
rows = [("scene", None), *heatmaps.items()]
for axes, (name, maps) in zip(grid, rows, strict=True):
    for ax, k in zip(axes, shown, strict=True):
        picture = (
            scenes[k, ..., 0] if maps is None else overlay_heatmap(scenes[k], maps[k])
        )
        ax.imshow(picture, cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    # Written across, not up: a row of small square images is shorter than its name.
    axes[0].set_ylabel(name.replace(", ", ",\n"), rotation=0, ha="right", va="center")
save_figure(
    fig,
    "grad_cam_scenes.png",
    caption="Scenes, and their Grad-CAM heatmaps for each class and model",
    alt=(
        "Four rows of five 50 by 50 pixel scenes, each made of four held-out grey "
        "crops from the LFW subset: one face and three background patches. The first "
        "row shows the scenes. The second row overlays the Grad-CAM heatmap for the "
        "class 'face' of the trained model: bright colour covers the face quadrant and "
        "the rest stays dark. The third row, for the class 'not a face', is bright on "
        "background patches instead. The fourth row, for 'face' in an untrained copy "
        "of the model, shows heat that does not follow the face."
    ),
)
