"""The algorithmic parts of two generative models, written from tensor operations.

A variational autoencoder (Kingma and Welling 2014) needs two formulas beyond an
autoencoder: the reparameterised sample `z = mean + sigma * noise`, which lets the
gradient reach the encoder through a random draw, and the Kullback-Leibler divergence
of the encoder's diagonal Gaussian from the standard normal prior, in closed form.
Both are written with `keras.ops`, so they run on NumPy arrays and inside a Keras
layer alike.

A denoising diffusion model (Ho et al. 2020) needs a noise schedule, the closed-form
forward noising `q(x_t | x_0)`, and one step of the learned reverse (ancestral)
sampler. These are written with NumPy: they prepare training pairs and drive the
sampling loop outside the network. Time steps are indexed from 0, as in the authors'
code: index `t` is the paper's step `t + 1`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from dlcv._validation import (
    _check_real,
    check_one_of,
    check_positive_int,
)

__all__ = [
    "diffusion_reverse_step",
    "forward_noise",
    "gaussian_kl_divergence",
    "gaussian_reparameterize",
    "linear_noise_schedule",
]


def _check_same_static_shape(reference: Any, others: dict[str, Any]) -> None:
    # Inside a Keras layer the batch axis may be unknown (None): only known axes count.
    want = tuple(reference.shape)
    for name, value in others.items():
        got = tuple(value.shape)
        compatible = len(got) == len(want) and all(
            a is None or b is None or a == b for a, b in zip(got, want, strict=True)
        )
        if not compatible:
            raise ValueError(
                f"`{name}` must have the shape of `mean` {want}. "
                f"Received: {name}.shape={got}"
            )


# --8<-- [start:vae]
def gaussian_reparameterize(mean: Any, log_variance: Any, noise: Any) -> Any:
    """Draw `z` from a diagonal Gaussian as a differentiable function of its
    parameters: `z = mean + exp(log_variance / 2) * noise`.

    With `noise` drawn from the standard normal distribution, `z` follows
    `N(mean, exp(log_variance))`; the randomness sits in `noise`, which does not
    depend on the encoder, so gradients flow to `mean` and `log_variance`.

    Args:
        mean: the Gaussian's means, a tensor or array of shape `(..., latent)`.
        log_variance: the logarithms of its variances, the same shape.
        noise: standard normal draws, the same shape.

    Returns:
        A tensor of that shape: the samples.

    Raises:
        ValueError: if `log_variance` or `noise` has another shape than `mean`.

    Examples:
        >>> z = gaussian_reparameterize([0.0, 1.0], [0.0, np.log(4.0)], [0.5, -1.0])
        >>> keras.ops.convert_to_numpy(z).tolist()
        [0.5, -1.0]

    See: [Generative models](../vision/generative-models.md)
    """
    mean, log_variance, noise = (
        keras.ops.convert_to_tensor(a, dtype="float32")
        for a in (mean, log_variance, noise)
    )
    _check_same_static_shape(mean, {"log_variance": log_variance, "noise": noise})
    return mean + keras.ops.exp(0.5 * log_variance) * noise


def gaussian_kl_divergence(mean: Any, log_variance: Any) -> Any:
    """The Kullback-Leibler divergence of `N(mean, exp(log_variance))`, with a
    diagonal covariance, from the standard normal `N(0, I)`, summed over the last
    axis.

    In closed form, `-0.5 * sum(1 + log_variance - mean**2 - exp(log_variance))`:
    zero exactly when every mean is 0 and every variance 1.

    Args:
        mean: the Gaussian's means, shape `(..., latent)`.
        log_variance: the logarithms of its variances, the same shape.

    Returns:
        A tensor of shape `(...)`: one divergence, in nats, per Gaussian.

    Raises:
        ValueError: if `log_variance` has another shape than `mean`, or `mean` is
            a scalar.

    Examples:
        >>> kl = gaussian_kl_divergence([[0.0, 0.0], [1.0, 0.0]], [[0.0, 0.0]] * 2)
        >>> keras.ops.convert_to_numpy(kl).tolist()
        [0.0, 0.5]

    See: [Generative models](../vision/generative-models.md)
    """
    mean = keras.ops.convert_to_tensor(mean, dtype="float32")
    log_variance = keras.ops.convert_to_tensor(log_variance, dtype="float32")
    if len(mean.shape) == 0:
        raise ValueError(
            "`mean` must be an array of rank 1 or more. Received: mean.shape=()"
        )
    _check_same_static_shape(mean, {"log_variance": log_variance})
    # The paper's -0.5 * sum(1 + log_var - mean**2 - var), signs moved inside so that
    # a divergence of exactly zero prints as 0.0, not -0.0.
    per_axis = keras.ops.square(mean) + keras.ops.exp(log_variance) - 1.0 - log_variance
    return 0.5 * keras.ops.sum(per_axis, axis=-1)


# --8<-- [end:vae]


def _check_schedule(values: Any) -> np.ndarray:
    alpha_bars: np.ndarray = np.asarray(values, dtype=np.float64)
    ok = (
        alpha_bars.ndim == 1
        and alpha_bars.size > 0
        and bool(np.all((alpha_bars > 0) & (alpha_bars < 1)))
        and bool(np.all(np.diff(alpha_bars) <= 0))
    )
    if not ok:
        raise ValueError(
            "`alpha_bars` must be a non-increasing 1-D array of numbers strictly "
            f"between 0 and 1. Received: alpha_bars with shape {alpha_bars.shape}"
        )
    return alpha_bars


def _check_steps(t: Any, size: int, batch: int) -> np.ndarray:
    steps = np.asarray(t)
    if not np.issubdtype(steps.dtype, np.integer):
        raise TypeError(
            f"`t` must be integer step indices. Received: t with dtype {steps.dtype}"
        )
    steps = np.broadcast_to(steps, (batch,)) if steps.ndim == 0 else steps
    if steps.shape != (batch,) or steps.min() < 0 or steps.max() >= size:
        raise ValueError(
            f"`t` must hold one step index from 0 to {size - 1} per example "
            f"({batch}). Received: t={np.asarray(t).tolist()!r}"
        )
    return steps


def _check_step(t: Any, size: int) -> int:
    if isinstance(t, bool | np.bool_) or not isinstance(t, int | np.integer):
        raise TypeError(f"`t` must be an integer step index. Received: t={t!r}")
    if not 0 <= t < size:
        raise ValueError(
            f"`t` must be a step index from 0 to {size - 1}. Received: t={t!r}"
        )
    return int(t)


# --8<-- [start:schedule]
def linear_noise_schedule(
    steps: int, *, beta_start: float = 1e-4, beta_end: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """The variances `beta_t` of a diffusion's forward steps, rising linearly, and
    the products `alpha_bar_t = prod_{s <= t} (1 - beta_s)`.

    Ho et al. (2020) use 1,000 steps from `beta_start=1e-4` to `beta_end=0.02`,
    the defaults. `alpha_bar_t` is the fraction of the data's variance left after
    step `t`; a schedule is long or steep enough when its last `alpha_bar` is
    near 0.

    Args:
        steps: the number of forward steps `T`, a positive integer.
        beta_start: the first step's variance, in (0, 1).
        beta_end: the last step's variance, in (0, 1), at least `beta_start`.

    Returns:
        A pair `(betas, alpha_bars)` of float64 arrays of shape `(steps,)`.

    Raises:
        TypeError: if `steps` is not an integer, or a beta is not a number.
        ValueError: if `steps` is not positive, a beta is outside (0, 1), or
            `beta_end` is below `beta_start`.

    Examples:
        >>> betas, alpha_bars = linear_noise_schedule(3, beta_start=0.1, beta_end=0.3)
        >>> betas.round(3).tolist(), alpha_bars.round(3).tolist()
        ([0.1, 0.2, 0.3], [0.9, 0.72, 0.504])

    See: [Generative models](../vision/generative-models.md)
    """
    steps = check_positive_int(steps, "steps")
    requirement = "a number strictly between 0 and 1"
    start = _check_real(beta_start, "beta_start", requirement, lambda b: 0 < b < 1)
    end = _check_real(beta_end, "beta_end", requirement, lambda b: 0 < b < 1)
    if end < start:
        raise ValueError(
            "`beta_end` must be at least `beta_start`. "
            f"Received: beta_start={beta_start!r}, beta_end={beta_end!r}"
        )
    betas = np.linspace(start, end, steps, dtype=np.float64)
    return betas, np.cumprod(1.0 - betas)


def forward_noise(x0: Any, t: Any, alpha_bars: Any, noise: Any) -> np.ndarray:
    """Noise clean examples to step `t` in one go, by the closed form of
    `q(x_t | x_0)`: `sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * noise`.

    Args:
        x0: clean examples, an array of shape `(batch, ...)`.
        t: integer step indices from 0 (after the first step) to `T - 1`, one per
            example, or one for all.
        alpha_bars: the schedule's `alpha_bar`, shape `(T,)`, as returned by
            `linear_noise_schedule`.
        noise: standard normal draws, the shape of `x0`.

    Returns:
        The noisy examples `x_t`, a float64 array of the shape of `x0`.

    Raises:
        TypeError: if `t` is not integers.
        ValueError: if `noise` has another shape than `x0`, a step index is out of
            range, or `alpha_bars` is not a valid schedule.

    Examples:
        >>> _, alpha_bars = linear_noise_schedule(3, beta_start=0.1, beta_end=0.3)
        >>> forward_noise([[1.0], [1.0]], [0, 2], alpha_bars, [[0.0], [1.0]]).round(3)
        array([[0.949],
               [1.414]])

    See: [Generative models](../vision/generative-models.md)
    """
    x0 = np.asarray(x0, dtype=np.float64)
    noise = np.asarray(noise, dtype=np.float64)
    if x0.ndim == 0 or noise.shape != x0.shape:
        raise ValueError(
            "`noise` must have the shape of `x0`, an array with a batch axis. "
            f"Received: x0.shape={x0.shape}, noise.shape={noise.shape}"
        )
    alpha_bars = _check_schedule(alpha_bars)
    steps = _check_steps(t, alpha_bars.size, x0.shape[0])
    # One coefficient per example, broadcast over its other axes.
    keep = alpha_bars[steps].reshape((-1,) + (1,) * (x0.ndim - 1))
    result: np.ndarray = np.sqrt(keep) * x0 + np.sqrt(1.0 - keep) * noise
    return result


# --8<-- [end:schedule]


# --8<-- [start:reverse]
def diffusion_reverse_step(
    x_t: Any,
    t: int,
    predicted_noise: Any,
    betas: Any,
    noise: Any,
    *,
    variance: str = "beta",
) -> np.ndarray:
    """Take one step of ancestral sampling, from `x_t` to `x_{t-1}` (Algorithm 2 of
    Ho et al. 2020).

    `x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) * predicted_noise) /
    sqrt(1 - beta_t) + sigma_t * noise`, where `predicted_noise` is the network's
    estimate of the noise in `x_t`. At the last step (`t = 0`) no noise is added.

    Args:
        x_t: the current noisy examples, an array of shape `(batch, ...)`.
        t: the step index of `x_t`, from 0 to `T - 1`, shared by the batch.
        predicted_noise: the network's noise estimate, the shape of `x_t`.
        betas: the schedule's variances, shape `(T,)`.
        noise: standard normal draws, the shape of `x_t`.
        variance: `"beta"` for `sigma_t**2 = beta_t`, or `"posterior"` for
            `sigma_t**2 = beta_t * (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)`, the
            two fixed choices of the paper. Defaults to `"beta"`.

    Returns:
        `x_{t-1}`, a float64 array of the shape of `x_t`.

    Raises:
        TypeError: if `t` is not an integer.
        ValueError: if the shapes differ, `t` is out of range, `betas` is not a
            1-D array of numbers in (0, 1), or `variance` is unknown.

    Examples:
        >>> betas = np.array([0.1, 0.2, 0.3])
        >>> x = diffusion_reverse_step([[1.0]], 2, [[0.5]], betas, [[1.0]])
        >>> x.round(3)
        array([[1.488]])

    See: [Generative models](../vision/generative-models.md)
    """
    variance = check_one_of(variance, "variance", ("beta", "posterior"))
    x_t = np.asarray(x_t, dtype=np.float64)
    predicted_noise = np.asarray(predicted_noise, dtype=np.float64)
    noise = np.asarray(noise, dtype=np.float64)
    for name, array in (("predicted_noise", predicted_noise), ("noise", noise)):
        if array.shape != x_t.shape:
            raise ValueError(
                f"`{name}` must have the shape of `x_t` {x_t.shape}. "
                f"Received: {name}.shape={array.shape}"
            )
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size == 0 or not np.all((betas > 0) & (betas < 1)):
        raise ValueError(
            "`betas` must be a 1-D array of numbers strictly between 0 and 1. "
            f"Received: betas with shape {betas.shape}"
        )
    t = _check_step(t, betas.size)
    alpha_bars = np.cumprod(1.0 - betas)
    beta, alpha_bar = betas[t], alpha_bars[t]
    mean: np.ndarray = (
        x_t - beta / np.sqrt(1.0 - alpha_bar) * predicted_noise
    ) / np.sqrt(1.0 - beta)
    if t == 0:
        return mean
    if variance == "beta":
        sigma2 = beta
    else:
        sigma2 = beta * (1.0 - alpha_bars[t - 1]) / (1.0 - alpha_bar)
    result: np.ndarray = mean + np.sqrt(sigma2) * noise
    return result


# --8<-- [end:reverse]
