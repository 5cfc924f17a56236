"""dlcv.generative: the VAE's sample and KL term, and a diffusion model's schedule,
forward noising and reverse step, against hand-worked values, closed forms and
Monte-Carlo estimates computed independently with NumPy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.generative import (
    diffusion_reverse_step,
    forward_noise,
    gaussian_kl_divergence,
    gaussian_reparameterize,
    linear_noise_schedule,
)


def _numpy(x: object) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def test_reparameterize_hand_worked() -> None:
    # mean 1, variance 4 (sigma 2), noise -0.5: 1 + 2 * -0.5 = 0.
    z = gaussian_reparameterize([[1.0, -1.0]], [[np.log(4.0), 0.0]], [[-0.5, 2.0]])
    np.testing.assert_allclose(_numpy(z), [[0.0, 1.0]], atol=1e-6)


def test_reparameterize_draws_follow_the_gaussian_and_pass_gradients() -> None:
    rng = np.random.default_rng(0)
    mean, variance = np.array([1.0, -2.0]), np.array([0.25, 4.0])
    noise = rng.standard_normal((200_000, 2))
    z = _numpy(
        gaussian_reparameterize(
            np.tile(mean, (200_000, 1)), np.tile(np.log(variance), (200_000, 1)), noise
        )
    )
    np.testing.assert_allclose(z.mean(axis=0), mean, atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), variance, rtol=0.02)
    # The randomness is in `noise`: dz/dmean = 1, dz/dlog_var = sigma * noise / 2.
    m, log_var = tf.Variable([[0.5]]), tf.Variable([[np.log(9.0)]], dtype="float32")
    with tf.GradientTape(persistent=True) as tape:
        out = gaussian_reparameterize(m, log_var, [[2.0]])
    assert float(tape.gradient(out, m)[0, 0]) == pytest.approx(1.0)
    assert float(tape.gradient(out, log_var)[0, 0]) == pytest.approx(3.0, rel=1e-5)


def test_kl_divergence_equals_the_closed_form_and_a_monte_carlo_estimate() -> None:
    rng = np.random.default_rng(1)
    mean = rng.normal(size=(5, 3))
    log_var = rng.normal(scale=0.5, size=(5, 3))
    kl = _numpy(gaussian_kl_divergence(mean, log_var))
    # Per axis, KL(N(m, s^2) || N(0, 1)) = -log s + (s^2 + m^2) / 2 - 1/2.
    s2 = np.exp(log_var)
    expected = (-0.5 * log_var + (s2 + mean**2) / 2 - 0.5).sum(axis=-1)
    np.testing.assert_allclose(kl, expected, rtol=1e-5)
    # Monte Carlo: E_q[log q(z) - log p(z)] over draws from q.
    draws = mean[0] + np.sqrt(s2[0]) * rng.standard_normal((400_000, 3))
    log_q = -0.5 * (((draws - mean[0]) ** 2) / s2[0] + log_var[0] + np.log(2 * np.pi))
    log_p = -0.5 * (draws**2 + np.log(2 * np.pi))
    assert kl[0] == pytest.approx((log_q - log_p).sum(axis=1).mean(), abs=0.02)


def test_kl_divergence_is_zero_at_the_prior_and_runs_in_a_graph() -> None:
    assert _numpy(gaussian_kl_divergence(np.zeros((2, 4)), np.zeros((2, 4)))).tolist() == [
        0.0,
        0.0,
    ]

    @tf.function(input_signature=[tf.TensorSpec((None, 2)), tf.TensorSpec((None, 2))])
    def graph_kl(mean: tf.Tensor, log_var: tf.Tensor) -> tf.Tensor:
        return gaussian_kl_divergence(mean, log_var)

    np.testing.assert_allclose(_numpy(graph_kl(tf.constant([[1.0, 0.0]]), tf.zeros((1, 2)))), [0.5])


def test_vae_functions_reject_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="must have the shape of `mean`"):
        gaussian_reparameterize(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="must have the shape of `mean`"):
        gaussian_reparameterize(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="must have the shape of `mean`"):
        gaussian_kl_divergence(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="must be an array of rank 1 or more"):
        gaussian_kl_divergence(0.0, 0.0)


def test_linear_noise_schedule() -> None:
    betas, alpha_bars = linear_noise_schedule(3, beta_start=0.1, beta_end=0.3)
    np.testing.assert_allclose(betas, [0.1, 0.2, 0.3])
    np.testing.assert_allclose(alpha_bars, [0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.7])
    # The paper's schedule: 1,000 steps from 1e-4 to 0.02.
    betas, alpha_bars = linear_noise_schedule(1000)
    assert betas[0] == 1e-4 and betas[-1] == pytest.approx(0.02)
    assert betas[1] - betas[0] == pytest.approx((0.02 - 1e-4) / 999)
    assert alpha_bars[-1] == pytest.approx(np.exp(np.log1p(-betas).sum()))
    assert alpha_bars[-1] < 1e-4


def test_linear_noise_schedule_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="must be a positive integer"):
        linear_noise_schedule(0)
    with pytest.raises(TypeError, match="must be a positive integer"):
        linear_noise_schedule(True)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        linear_noise_schedule(10, beta_start=0.0)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        linear_noise_schedule(10, beta_end=1.0)
    with pytest.raises(ValueError, match="must be at least `beta_start`"):
        linear_noise_schedule(10, beta_start=0.2, beta_end=0.1)


def test_forward_noise_hand_worked_and_per_example_steps() -> None:
    _, alpha_bars = linear_noise_schedule(3, beta_start=0.1, beta_end=0.3)
    x0, noise = np.array([[2.0, 0.0], [2.0, 0.0]]), np.array([[0.0, 1.0], [0.0, 1.0]])
    x_t = forward_noise(x0, np.array([0, 2]), alpha_bars, noise)
    np.testing.assert_allclose(x_t[0], [2 * np.sqrt(0.9), np.sqrt(0.1)])
    np.testing.assert_allclose(x_t[1], [2 * np.sqrt(0.504), np.sqrt(0.496)])
    # One step index for the whole batch, and images of any rank.
    images = np.ones((2, 4, 4, 1))
    same = forward_noise(images, 1, alpha_bars, np.zeros_like(images))
    np.testing.assert_allclose(same, np.sqrt(0.72))


def test_forward_noise_equals_the_step_by_step_chain_in_distribution() -> None:
    # Run q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t) step by step, and
    # compare the draws' mean and variance with the closed form's.
    rng = np.random.default_rng(2)
    betas, alpha_bars = linear_noise_schedule(20, beta_start=0.01, beta_end=0.2)
    x0 = np.array([1.5, -0.5])
    chain = np.tile(x0, (100_000, 1))
    for beta in betas[:12]:
        chain = np.sqrt(1 - beta) * chain + np.sqrt(beta) * rng.standard_normal(chain.shape)
    closed = forward_noise(
        np.tile(x0, (100_000, 1)), 11, alpha_bars, rng.standard_normal(chain.shape)
    )
    np.testing.assert_allclose(chain.mean(axis=0), closed.mean(axis=0), atol=0.015)
    np.testing.assert_allclose(chain.var(axis=0), closed.var(axis=0), rtol=0.02)
    np.testing.assert_allclose(closed.mean(axis=0), np.sqrt(alpha_bars[11]) * x0, atol=0.01)


def test_forward_noise_rejects_bad_arguments() -> None:
    _, alpha_bars = linear_noise_schedule(5)
    x0 = np.zeros((2, 3))
    with pytest.raises(ValueError, match="must have the shape of `x0`"):
        forward_noise(x0, 0, alpha_bars, np.zeros((2, 4)))
    with pytest.raises(TypeError, match="must be integer step indices"):
        forward_noise(x0, 1.0, alpha_bars, x0)
    with pytest.raises(ValueError, match="one step index from 0 to 4"):
        forward_noise(x0, 5, alpha_bars, x0)
    with pytest.raises(ValueError, match="one step index from 0 to 4"):
        forward_noise(x0, [0, 1, 2], alpha_bars, x0)
    with pytest.raises(ValueError, match="must be a non-increasing 1-D array"):
        forward_noise(x0, 0, [0.5, 0.9], x0)


def _algorithm_2(x, t, eps, betas, z, posterior):
    """Ho et al.'s Algorithm 2, line 4, with their 1-based step s = t + 1."""
    alphas = 1 - betas
    alpha_bar = np.prod(alphas[: t + 1])
    alpha_bar_prev = np.prod(alphas[:t])  # 1 for the first step
    sigma2 = betas[t] * (1 - alpha_bar_prev) / (1 - alpha_bar) if posterior else betas[t]
    mean = (x - (1 - alphas[t]) / np.sqrt(1 - alpha_bar) * eps) / np.sqrt(alphas[t])
    return mean + (np.sqrt(sigma2) * z if t > 0 else 0.0)


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_reverse_step_equals_algorithm_2(variance: str) -> None:
    rng = np.random.default_rng(3)
    betas, _ = linear_noise_schedule(10, beta_start=0.01, beta_end=0.3)
    x, eps, z = rng.normal(size=(3, 4, 5))
    for t in (0, 1, 5, 9):
        got = diffusion_reverse_step(x, t, eps, betas, z, variance=variance)
        np.testing.assert_allclose(got, _algorithm_2(x, t, eps, betas, z, variance == "posterior"))


def test_reverse_step_hand_worked() -> None:
    betas = np.array([0.1, 0.2, 0.3])
    # alpha_bar = 0.504: (1 - 0.3 / sqrt(0.496) * 0.5) / sqrt(0.7) + sqrt(0.3) * 1.
    got = diffusion_reverse_step([[1.0]], 2, [[0.5]], betas, [[1.0]])
    expected = (1 - 0.3 / np.sqrt(0.496) * 0.5) / np.sqrt(0.7) + np.sqrt(0.3)
    assert got[0, 0] == pytest.approx(expected)
    assert got[0, 0] == pytest.approx(1.48838, abs=1e-5)
    # The last step adds no noise, whatever the draw.
    last = diffusion_reverse_step([[1.0]], 0, [[0.0]], betas, [[100.0]])
    assert last[0, 0] == pytest.approx(1 / np.sqrt(0.9))


def test_reverse_step_with_the_true_noise_is_the_posterior_mean() -> None:
    # Given the exact noise, the step's mean is the mean of q(x_{t-1} | x_t, x_0),
    # written with the posterior coefficients of Ho et al.'s code.
    rng = np.random.default_rng(4)
    betas, alpha_bars = linear_noise_schedule(8, beta_start=0.05, beta_end=0.4)
    x0, eps = rng.normal(size=(2, 3, 6))
    t = 5
    x_t = forward_noise(x0, t, alpha_bars, eps)
    got = diffusion_reverse_step(x_t, t, eps, betas, np.zeros_like(x0))
    coef_x0 = betas[t] * np.sqrt(alpha_bars[t - 1]) / (1 - alpha_bars[t])
    coef_xt = (1 - alpha_bars[t - 1]) * np.sqrt(1 - betas[t]) / (1 - alpha_bars[t])
    np.testing.assert_allclose(got, coef_x0 * x0 + coef_xt * x_t)


def test_reverse_step_rejects_bad_arguments() -> None:
    betas = np.array([0.1, 0.2])
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="one of 'beta', 'posterior'"):
        diffusion_reverse_step(x, 1, x, betas, x, variance="learned")
    with pytest.raises(ValueError, match="must have the shape of `x_t`"):
        diffusion_reverse_step(x, 1, np.zeros((2, 4)), betas, x)
    with pytest.raises(ValueError, match="must have the shape of `x_t`"):
        diffusion_reverse_step(x, 1, x, betas, np.zeros(3))
    with pytest.raises(ValueError, match="step index from 0 to 1"):
        diffusion_reverse_step(x, 2, x, betas, x)
    with pytest.raises(TypeError, match="must be an integer step index"):
        diffusion_reverse_step(x, 1.0, x, betas, x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        diffusion_reverse_step(x, 0, x, [0.1, 1.0], x)
