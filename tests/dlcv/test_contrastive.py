"""dlcv.contrastive: NT-Xent equals the paper's definition, and the views are shifted,
noisy copies of the images."""

import numpy as np
import pytest
import tensorflow as tf

from dlcv.contrastive import make_views, nt_xent_loss


def loop_nt_xent(z1: np.ndarray, z2: np.ndarray, temperature: float) -> float:
    """SimCLR's equation (1), one positive pair (i, j) and one candidate k at a time,
    averaged over both orders of every pair as in its Algorithm 1."""
    n = len(z1)
    views = [*z1, *z2]  # view k and view k + n come from example k
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)

        def sim(u: np.ndarray, v: np.ndarray) -> float:
            return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))

        numerator = np.exp(sim(views[i], views[j]) / temperature)
        denominator = 0.0
        for k in range(2 * n):
            if k != i:
                denominator += np.exp(sim(views[i], views[k]) / temperature)
        total += -np.log(numerator / denominator)
    return total / (2 * n)


@pytest.mark.parametrize(
    ("n", "dim", "temperature"), [(2, 3, 1.0), (5, 4, 0.5), (16, 8, 0.1), (7, 32, 2.0)]
)
def test_nt_xent_loss_equals_a_loop_over_pairs(n: int, dim: int, temperature: float) -> None:
    rng = np.random.default_rng(n)
    z1, z2 = rng.normal(size=(n, dim)), rng.normal(size=(n, dim))
    expected = loop_nt_xent(z1, z2, temperature)
    loss = nt_xent_loss(z1, z2, temperature=temperature)
    np.testing.assert_allclose(float(loss), expected, rtol=1e-10)
    # float32 inputs give a float32 result, to float32 rounding.
    loss32 = nt_xent_loss(z1.astype("float32"), z2.astype("float32"), temperature=temperature)
    assert loss32.dtype == tf.float32
    np.testing.assert_allclose(float(loss32), expected, rtol=1e-5)


def test_nt_xent_loss_two_hand_worked_pairs() -> None:
    e1, e2 = np.array([1.0, 0.0]), np.array([0.0, 1.0])  # float64, so rtol 1e-12
    # Matched: the views are e1, e2, e1, e2. Each one's partner is its copy
    # (similarity 1) and its two negatives are orthogonal (0):
    # -log(e^1 / (e^1 + e^0 + e^0)) = log(1 + 2/e) for each of the four views.
    matched = nt_xent_loss(np.stack([e1, e2]), np.stack([e1, e2]), temperature=1.0)
    np.testing.assert_allclose(float(matched), np.log(1 + 2 / np.e), rtol=1e-12)
    # Swapped: the partner is orthogonal (0) and one negative is identical (1):
    # -log(e^0 / (e^0 + e^0 + e^1)) = log(2 + e) for each of the four views.
    swapped = nt_xent_loss(np.stack([e1, e2]), np.stack([e2, e1]), temperature=1.0)
    np.testing.assert_allclose(float(swapped), np.log(2 + np.e), rtol=1e-12)
    # At temperature 0.5 the matched similarities count double: log(1 + 2 e^-2).
    sharper = nt_xent_loss(np.stack([e1, e2]), np.stack([e1, e2]), temperature=0.5)
    np.testing.assert_allclose(float(sharper), np.log(1 + 2 * np.exp(-2)), rtol=1e-12)


def test_nt_xent_loss_ignores_length_and_order_of_pairs() -> None:
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    loss = float(nt_xent_loss(z1, z2))
    scales = rng.uniform(0.1, 10.0, size=(6, 1))
    assert float(nt_xent_loss(z1 * scales, z2)) == pytest.approx(loss, rel=1e-12)
    order = rng.permutation(6)
    assert float(nt_xent_loss(z1[order], z2[order])) == pytest.approx(loss, rel=1e-12)
    # Swapping which view is "first" changes nothing either: both orders are counted.
    assert float(nt_xent_loss(z2, z1)) == pytest.approx(loss, rel=1e-12)
    # Collapsed embeddings are chance: the partner is one of 2N - 1 equal candidates.
    ones = np.ones((6, 5))
    assert float(nt_xent_loss(ones, ones)) == pytest.approx(np.log(11), rel=1e-12)


def test_nt_xent_loss_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    z1, z2 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    variable = tf.Variable(z1)
    with tf.GradientTape() as tape:
        loss = nt_xent_loss(variable, z2, temperature=0.5)
    gradient = tape.gradient(loss, variable).numpy()
    numeric = np.zeros_like(z1)
    step = 1e-6
    for index in np.ndindex(z1.shape):
        up, down = z1.copy(), z1.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (loop_nt_xent(up, z2, 0.5) - loop_nt_xent(down, z2, 0.5)) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, atol=1e-7)


def test_nt_xent_loss_runs_in_a_graph_with_an_unknown_batch_size() -> None:
    rng = np.random.default_rng(2)
    z1, z2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    spec = tf.TensorSpec((None, 3), tf.float64)
    graph = tf.function(lambda a, b: nt_xent_loss(a, b, temperature=0.2)).get_concrete_function(
        spec, spec
    )
    np.testing.assert_allclose(
        float(graph(tf.constant(z1), tf.constant(z2))), loop_nt_xent(z1, z2, 0.2), rtol=1e-10
    )


def test_nt_xent_loss_takes_lists_and_integers_as_float32() -> None:
    loss = nt_xent_loss([[1, 0], [0, 1]], [[1, 0], [0, 1]], temperature=1.0)
    assert loss.dtype == tf.float32
    assert float(loss) == pytest.approx(np.log(1 + 2 / np.e), rel=1e-6)


def test_nt_xent_loss_rejects_bad_arguments() -> None:
    z = np.zeros((4, 3))
    with pytest.raises(ValueError, match="must be an array of rank 2"):
        nt_xent_loss(np.zeros(4), z)
    with pytest.raises(ValueError, match="must be an array of rank 2"):
        nt_xent_loss(z, np.zeros((4, 3, 1)))
    with pytest.raises(ValueError, match="must have the shape of `z1`"):
        nt_xent_loss(z, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least two pairs"):
        nt_xent_loss(np.zeros((1, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="must be a positive number"):
        nt_xent_loss(z, z, temperature=0.0)
    with pytest.raises(ValueError, match="must be a positive number"):
        nt_xent_loss(z, z, temperature=float("inf"))
    with pytest.raises(TypeError, match="must be a positive number"):
        nt_xent_loss(z, z, temperature="0.5")  # type: ignore[arg-type]


def shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """`image` moved down by dy and right by dx pixels, zeros moved in."""
    height, width = image.shape[:2]
    result = np.zeros_like(image)
    for row in range(height):
        for col in range(width):
            if 0 <= row - dy < height and 0 <= col - dx < width:
                result[row, col] = image[row - dy, col - dx]
    return result


def test_make_views_shift_each_image_by_at_most_max_shift() -> None:
    rng = np.random.default_rng(0)
    images = rng.uniform(0.1, 1.0, size=(20, 6, 5, 1))
    view1, view2 = make_views(images, max_shift=2, noise=0.0, seed=3)
    assert view1.shape == view2.shape == images.shape
    assert view1.dtype == view2.dtype == np.float32
    seen = set()
    for view in (view1, view2):
        for image, result in zip(images, view, strict=True):
            matches = [
                (dy, dx)
                for dy in range(-2, 3)
                for dx in range(-2, 3)
                if np.allclose(result, shifted(image, dy, dx), atol=1e-6)
            ]
            assert len(matches) == 1  # the random pixels make each shift unique
            seen.add(matches[0])
    assert len(seen) > 10  # the shifts vary, over the whole range
    assert not np.array_equal(view1, view2)


def test_make_views_add_clipped_noise_and_repeat_with_a_seed() -> None:
    images = np.full((400, 8, 8, 1), 0.5)
    view1, view2 = make_views(images, max_shift=0, noise=0.1, seed=0)
    assert np.std(view1 - images) == pytest.approx(0.1, rel=0.05)
    assert abs(np.mean(view2 - images)) < 0.01
    noisy, _ = make_views(np.zeros((50, 8, 8, 1)), max_shift=0, noise=0.5, seed=0)
    assert noisy.min() == 0.0 and noisy.max() <= 1.0
    again1, again2 = make_views(images, max_shift=0, noise=0.1, seed=0)
    np.testing.assert_array_equal(view1, again1)
    np.testing.assert_array_equal(view2, again2)
    plain1, plain2 = make_views(images[:3], max_shift=0, noise=0.0)
    np.testing.assert_array_equal(plain1, images[:3])
    np.testing.assert_array_equal(plain2, images[:3])


def test_make_views_rejects_bad_arguments() -> None:
    images = np.zeros((2, 8, 8, 1))
    with pytest.raises(ValueError, match="must be an array of rank 4"):
        make_views(np.zeros((2, 8, 8)))
    with pytest.raises(TypeError, match="must be a non-negative integer"):
        make_views(images, max_shift=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        make_views(images, max_shift=-1)
    with pytest.raises(ValueError, match="smaller than the images' height and width"):
        make_views(images, max_shift=8)
    with pytest.raises(ValueError, match="must be a non-negative number"):
        make_views(images, noise=-0.1)
    with pytest.raises(TypeError, match="must be a non-negative number"):
        make_views(images, noise=None)  # type: ignore[arg-type]
