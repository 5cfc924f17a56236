"""An autoencoder and a variational autoencoder of the same size on the 8x8 digits:
their reconstructions, their latent codes, and a walk between two digits."""

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.generative import gaussian_kl_divergence, gaussian_reparameterize
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)
images, labels = load_digits_images()
pixels = images.reshape(len(images), 64)
train_x, test_x, train_y, test_y = split_train_test(pixels, labels, seed=0)
LATENT = 4


class Sample(layers.Layer):
    """The VAE's bottleneck: a reparameterised draw from N(mean, exp(log_var)),
    whose KL divergence from N(0, I) joins the loss."""

    def __init__(self):
        super().__init__()
        self.seeds = keras.random.SeedGenerator(0)

    def call(self, mean, log_var, training=False):
        kl = keras.ops.mean(gaussian_kl_divergence(mean, log_var))
        # Per pixel, like the reconstruction loss: the negative bound over 64.
        self.add_loss(kl / 64)
        if not training:
            return mean  # at test time, decode the code's centre
        noise = keras.random.normal(keras.ops.shape(mean), seed=self.seeds)
        return gaussian_reparameterize(mean, log_var, noise)


def decoder() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input((LATENT,)),
            layers.Dense(128, activation="relu"),
            layers.Dense(64, activation="sigmoid"),
        ]
    )


def encoder_trunk(x):
    return layers.Dense(128, activation="relu")(x)


# The autoencoder: a deterministic code of LATENT numbers.
x = keras.Input((64,))
code = layers.Dense(LATENT)(encoder_trunk(x))
ae_decoder = decoder()
ae, ae_encoder = keras.Model(x, ae_decoder(code)), keras.Model(x, code)

# The VAE: the same sizes, but the encoder gives a Gaussian over codes.
x = keras.Input((64,))
h = encoder_trunk(x)
mean, log_var = layers.Dense(LATENT)(h), layers.Dense(LATENT)(h)
vae_decoder = decoder()
vae = keras.Model(x, vae_decoder(Sample()(mean, log_var)))
vae_encoder = keras.Model(x, [mean, log_var])

fit_x = train_x[: 21 * 64]
for model in (ae, vae):
    # Pixels in [0, 1] read as probabilities of ink: a Bernoulli decoder.
    model.compile(
        keras.optimizers.Adam(3e-3), "binary_crossentropy", steps_per_execution=21
    )
    model.optimizer.build(model.trainable_variables)
    # 21 full batches of 64 per epoch: a short last batch would retrace the step.
    model.fit(fit_x, fit_x, batch_size=64, epochs=40, verbose=0)

print(f"test reconstruction error (mean squared, per pixel), latent size {LATENT}")
for name, model in (("autoencoder", ae), ("VAE", vae)):
    error = np.mean((np.asarray(model(test_x)) - test_x) ** 2)
    print(f"{name:<12} {error:.4f}")
test_mean, test_log_var = vae_encoder(test_x)
codes = {"autoencoder": np.asarray(ae_encoder(test_x)), "VAE": np.asarray(test_mean)}
print("\nlatent codes of the test digits: spread of each coordinate (std)")
for name, code in codes.items():
    print(f"{name:<12} " + " ".join(f"{s:6.2f}" for s in code.std(axis=0)))
kl = gaussian_kl_divergence(test_mean, test_log_var)
print(f"VAE: mean KL from N(0, I) per test digit {float(keras.ops.mean(kl)):.2f} nats")


def draw_rows(rows: dict, name: str, caption: str, alt: str) -> None:
    """One row of 8x8 digits per entry, labelled on the left."""
    fig = Figure(figsize=(5.6, 2.4))
    grid = fig.subplots(len(rows), 8)
    for row, (label, digits) in zip(grid, rows.items(), strict=True):
        for ax, digit in zip(row, digits, strict=True):
            ax.imshow(digit.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
        row[0].set_ylabel(label, rotation=0, ha="right", va="center")
    save_figure(fig, name, caption=caption, alt=alt)


use_style()
shown = test_x[:8]
rows = {
    "test digit": shown,
    "autoencoder": np.asarray(ae(shown)),
    "VAE": np.asarray(vae(shown)),
}
draw_rows(
    rows,
    "reconstructions.png",
    caption="Eight test digits and their reconstructions",
    alt=(
        "Three rows of eight 8 by 8 digit images: eight held-out test digits, then "
        "the autoencoder's reconstruction of each, then the variational "
        "autoencoder's, both decoded from a latent code of four numbers."
    ),
)

# Walk in a straight line between the codes of two test digits, and decode.
first = int(np.flatnonzero(test_y == 0)[0])
last = int(np.flatnonzero(test_y == 1)[0])
weights = np.linspace(0, 1, 8)[:, None]
pair = test_x[[first, last]]
walks = {"pixels": (1 - weights) * pair[0] + weights * pair[1]}
ends = {"autoencoder": ae_encoder(pair), "VAE": vae_encoder(pair)[0]}
for name, dec in (("autoencoder", ae_decoder), ("VAE", vae_decoder)):
    start, end = np.asarray(ends[name])
    walks[name] = np.asarray(dec((1 - weights) * start + weights * end))
draw_rows(
    walks,
    "interpolation.png",
    caption="From a 0 to a 1: blending pixels against walking the latent space",
    alt=(
        "Three rows of eight images going from a test digit 0 on the left to a test "
        "digit 1 on the right: first a blend of the two images' pixels, then the "
        "autoencoder's and the variational autoencoder's decodings of evenly spaced "
        "points on the straight line between the two digits' latent codes."
    ),
)
