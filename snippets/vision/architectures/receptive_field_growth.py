"""How far each layer sees: the receptive field grows through stacked convolutions."""

import keras
from matplotlib.figure import Figure

from dlcv.blocks import apply_vgg_block
from dlcv.plot import save_figure, use_style
from dlcv.receptive_fields import format_receptive_field, receptive_field

keras.utils.set_random_seed(0)

inputs = keras.Input((64, 64, 3))
x = apply_vgg_block(inputs, 16, name="block1")
x = apply_vgg_block(x, 32, name="block2")
x = apply_vgg_block(x, 64, convs=3, name="block3")
field = receptive_field(keras.Model(inputs, x))
print(format_receptive_field(field))

# Eight 3x3 layers described as (kernel, stride[, dilation]) along one axis.
depth = 8
stacks = {
    "3x3, stride 1": [(3, 1)] * depth,
    "3x3, 2x2 pooling after every 2nd": [
        layer for _ in range(depth // 2) for layer in [(3, 1), (3, 1), (2, 2)]
    ],
    "3x3, dilation doubling": [(3, 1, 2**i) for i in range(depth)],
}
print()
for label, layers in stacks.items():
    sizes = [
        step.size[0] for step in receptive_field(layers).steps if step.kernel != (2,)
    ]
    print(f"{label:<34} {' '.join(f'{size:>4}' for size in sizes)}")

use_style()
fig = Figure(figsize=(5.6, 3.5))
ax = fig.subplots()
for label, layers in stacks.items():
    sizes = [
        step.size[0] for step in receptive_field(layers).steps if step.kernel != (2,)
    ]
    ax.plot(range(1, depth + 1), sizes, marker="o", label=label)
ax.set_yscale("log", base=2)
ax.set_xlabel("number of 3x3 convolutions")
ax.set_ylabel("receptive field (pixels, log scale)")
ax.legend(loc="upper left")
save_figure(
    fig,
    "receptive_field_growth.png",
    caption="Receptive field against depth for three stacks of 3x3 convolutions",
    alt=(
        "Receptive field in pixels, on a log scale, against the number of 3x3 "
        "convolutions for three stacks. With stride 1 it grows by two pixels per "
        "layer, a straight line that flattens on the log scale; with 2x2 pooling after "
        "every second convolution it grows faster at each stage; with the dilation "
        "doubling at every layer it roughly doubles per layer and reaches 511 pixels "
        "after eight layers."
    ),
)
