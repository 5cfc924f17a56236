"""Self-attention from tensor operations equals Keras's MultiHeadAttention, and a
digit read as a sequence of patches."""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.attention import extract_patches, multi_head_self_attention
from dlcv.data import load_digits_images
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)

# Random tokens and a Keras layer with random weights: recompute its output from
# those weights with matrix products and a softmax, and compare.
rng = np.random.default_rng(0)
print(f"{'tokens':>6}{'width':>6}{'heads':>6}{'max |difference|':>18}")
for tokens, width, heads in [(16, 32, 1), (16, 32, 4), (64, 48, 8)]:
    x = rng.normal(size=(4, tokens, width)).astype("float32")
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)
    expected = np.asarray(layer(x, x))
    ours, weights = multi_head_self_attention(x, layer)
    print(f"{tokens:>6}{width:>6}{heads:>6}{np.abs(ours - expected).max():>18.1e}")
print(f"weights per query sum to 1: {np.allclose(weights.sum(axis=-1), 1.0)}")

# An 8x8 digit cut into 2x2 patches: a sequence of 16 tokens of 4 pixels each.
images, labels = load_digits_images()
patches = extract_patches(images[:1], 2)
print(f"\nimage {images[0].shape} -> patches {patches.shape[1:]} (tokens, pixels)")

use_style()
fig = Figure(figsize=(5.6, 2.6))
left, right = fig.subplots(1, 2, width_ratios=[1, 2.2])
left.imshow(images[0, ..., 0], cmap="gray_r", vmin=0, vmax=1)
for line in (1.5, 3.5, 5.5):
    left.axhline(line, color="tab:red", linewidth=1)
    left.axvline(line, color="tab:red", linewidth=1)
left.set_title(f"digit {labels[0]}, 2x2 grid")
right.imshow(patches[0].T, cmap="gray_r", vmin=0, vmax=1, aspect="auto")
right.set_title("16 patches, one column each")
right.set_xlabel("patch (row by row)")
right.set_ylabel("pixel")
right.set_xticks(range(0, 16, 3))
right.set_yticks(range(4))
left.set_xticks([])
left.set_yticks([])
save_figure(
    fig,
    "digit_as_patches.png",
    caption="An 8x8 digit cut into 16 patches of 2x2 pixels, the tokens a ViT reads",
    alt=(
        "Left: an 8 by 8 handwritten zero with red lines dividing it into a 4 by 4 "
        "grid of 2 by 2 pixel patches. Right: the same patches as 16 columns of 4 "
        "pixels each, listed row by row from the top left, dark where the stroke is."
    ),
)
