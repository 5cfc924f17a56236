"""Inputs that excite single channels of a face classifier, found by gradient ascent."""

# budget: 30 s — trains the page's classifier, then runs 80 eager gradient-ascent steps

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.interpret import train_face_classifier, visualize_filter
from dlcv.plot import save_figure, use_style
from dlcv.probing import layer_outputs

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# The face classifier of this page, trained on 150 of the LFW subset's 200 grey 25x25
# crops; 25 faces and 25 background crops are held out.
model, crops, labels, faces, backgrounds = train_face_classifier(rng)

# --8<-- [start:ascent]
# The last conv layer's channels feed the classes through one dense layer after
# averaging: a channel's weight for 'face' minus its weight for 'not a face' says which
# side it argues.
weights = model.get_layer("classes").get_weights()[0]
for_face = np.argsort(weights[:, 1] - weights[:, 0])  # most against a face first
chosen = {
    "conv_1": list(range(8)),
    "conv_3": [*for_face[-4:][::-1], *for_face[:4]],  # 4 for a face, then 4 against
}
found = {  # 40 steps of 5% of the pixel range each, from faint grey noise
    layer: visualize_filter(
        model,
        layer=layer,
        filter_index=channels,
        size=(25, 25),
        steps=40,
        step_size=0.05,
    )
    for layer, channels in chosen.items()
}

# How strongly does each channel respond (mean over positions) to its found input,
# compared with the starting noise and with the 50 held-out photos?
held_out = crops[np.concatenate([faces, backgrounds])]
noise = np.clip(
    0.5 + 0.05 * np.random.default_rng(0).standard_normal((1, 25, 25, 1)), 0, 1
)
print(
    f"{'layer':<7}{'channel':>8}{'argues':>9}{'noise':>8}{'best photo':>12}{'found':>8}"
)
best_photos = {}
for layer, channels in chosen.items():
    on_photos = layer_outputs(model, held_out, layer_names=[layer])[layer].mean(
        axis=(1, 2)
    )
    best_photos[layer] = held_out[on_photos[:, channels].argmax(axis=0)]
    on_noise = layer_outputs(model, noise.astype("float32"), layer_names=[layer])[layer]
    on_found = layer_outputs(model, found[layer], layer_names=[layer])[layer].mean(
        axis=(1, 2)
    )
    for k, channel in enumerate(channels):
        argues = "-" if layer == "conv_1" else ("face" if k < 4 else "no face")
        print(
            f"{layer:<7}{channel:>8}{argues:>9}"
            f"{on_noise[0].mean(axis=(0, 1))[channel]:>8.2f}"
            f"{on_photos[:, channel].max():>12.2f}{on_found[k, channel]:>8.2f}"
        )
# --8<-- [end:ascent]

use_style()
fig = Figure(figsize=(5.6, 3.8))
grid = fig.subplots(3, 8)
rows = [
    ("conv_1", found["conv_1"], "found"),
    ("conv_3", found["conv_3"], "found"),
    ("conv_3", best_photos["conv_3"], "best photo"),
]
for axes, (layer, images, kind) in zip(grid, rows, strict=True):
    for k, ax in enumerate(axes):
        ax.imshow(images[k, ..., 0], cmap="gray", vmin=0, vmax=1)
        side = "" if layer == "conv_1" else ("\nface" if k < 4 else "\nno face")
        ax.set_title(f"#{chosen[layer][k]}{side}")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel(f"{layer}\n{kind}")
save_figure(
    fig,
    "filters_by_gradient_ascent.png",
    caption="Inputs found by gradient ascent, and the photos that excite each channel",
    alt=(
        "Three rows of eight 25 by 25 pixel grey images. Top row: inputs found by "
        "gradient ascent for eight channels of the first convolutional layer; most are "
        "black and white stripe patterns, each at its own orientation and spacing, and "
        "two are plain white. Middle row: inputs found for four channels of the third "
        "layer that argue for a face, all fine black and white textures, and four that "
        "argue against, mostly white with darker borders or a dark band. Bottom row: "
        "the held-out photo that excites each of those eight channels most; for the "
        "channels that argue for a face these are faces, for the ones against, "
        "background crops with large black areas."
    ),
)
