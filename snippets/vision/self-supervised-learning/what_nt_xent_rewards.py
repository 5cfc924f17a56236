"""What NT-Xent rewards: its value on aligned, shuffled and collapsed toy embeddings
at three temperatures, checked against a plain loop over the pairs."""

import numpy as np

from dlcv.contrastive import nt_xent_loss

rng = np.random.default_rng(0)
N, DIM = 8, 16  # 8 positive pairs of 16-dimensional embeddings
first = rng.normal(size=(N, DIM))
second = first + 0.5 * rng.normal(size=(N, DIM))  # near its own first view
cases = {
    "aligned": (first, second),
    "shuffled": (first, np.roll(second, 1, axis=0)),  # paired with another's view
    "collapsed": (np.ones((N, DIM)), np.ones((N, DIM))),  # all embeddings equal
}


def loop_loss(z1, z2, temperature):
    """The paper's definition, one embedding at a time."""
    z = np.concatenate([z1, z2])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    total = 0.0
    for i in range(2 * N):
        partner = (i + N) % (2 * N)
        scores = [np.exp(z[i] @ z[k] / temperature) for k in range(2 * N) if k != i]
        total += -np.log(np.exp(z[i] @ z[partner] / temperature) / sum(scores))
    return total / (2 * N)


TEMPERATURES = (0.1, 0.5, 1.0)
print(f"{N} pairs: each embedding picks its partner among {2 * N - 1} candidates")
print(f"chance level, log({2 * N - 1}) = {np.log(2 * N - 1):.3f}\n")
print(f"{'NT-Xent':<10}" + "".join(f"{f'tau = {t}':>12}" for t in TEMPERATURES))
largest_gap = 0.0
for name, (z1, z2) in cases.items():
    row = []
    for t in TEMPERATURES:
        loss = float(nt_xent_loss(z1, z2, temperature=t))
        largest_gap = max(largest_gap, abs(loss - loop_loss(z1, z2, t)))
        row.append(loss)
    print(f"{name:<10}" + "".join(f"{loss:>12.3f}" for loss in row))
print(f"\nlargest difference from the loop over pairs: {largest_gap:.1e}")

# exp(-loss) is the geometric mean of the softmax probability on the partner.
print(f"\n{'P(partner)':<10}" + "".join(f"{f'tau = {t}':>12}" for t in TEMPERATURES))
for name, (z1, z2) in cases.items():
    row = [np.exp(-float(nt_xent_loss(z1, z2, temperature=t))) for t in TEMPERATURES]
    print(f"{name:<10}" + "".join(f"{p:>12.3f}" for p in row))
