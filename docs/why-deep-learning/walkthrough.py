# %% [markdown]
# # Why deep learning: a walkthrough notebook
#
# Three of the section's four properties in one notebook: training streams its data from
# sharded files instead of holding it in memory (scalability), a damaged shard is reported by
# file and record instead of silently dropped, and a network trained on still images is reused,
# unchanged, on video clips (reusability). The build ran this notebook; every output below
# comes from that run.

# %%
# On Colab (or anywhere dlcv is missing), install it from its repository first (its distribution
# is dlcv-kb: the name dlcv on PyPI belongs to an unrelated project).
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("dlcv") is None:
    package = "dlcv-kb @ git+https://github.com/dlcv/dlcv"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)

# %%
import tempfile
from pathlib import Path

import keras

import dlcv

keras.utils.set_random_seed(0)
folder = Path(tempfile.mkdtemp())

# %% [markdown]
# ## Write the data as shards, then stream them
#
# `dlcv.write_shards` splits a dataset into TFRecord files; `dlcv.read_shards` streams them
# back, several files at a time, so memory holds a few batches rather than the dataset
# ([scalability](../scalability/)).

# %%
images, labels = dlcv.load_digits_images()
x_train, x_test, y_train, y_test = dlcv.split_train_test(images, labels, seed=0)
paths = dlcv.write_shards(x_train, y_train, folder / "train", examples_per_shard=200)
print(f"{len(x_train)} examples in {len(paths)} shards:", ", ".join(p.name for p in paths[:3]), "…")

model = dlcv.digits_convnet()  # one 3x3 convolution, pooling, a dense layer: logits
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
history = dlcv.train(
    model,
    dlcv.read_shards(f"{folder}/train/shard-*.tfrecord"),
    loss=loss,
    optimizer=keras.optimizers.Adam(3e-3),
    epochs=5,
    global_batch_size=64,
    verbose=0,
)
print(f"trained from the shards: accuracy {history.last('accuracy'):.3f} in the last epoch")

# %% [markdown]
# ## A damaged shard is named, not skipped in silence
#
# Cutting the last shard short, as an interrupted copy would, makes its last records
# unreadable. `dlcv.check_shards` names the file and the record; `read_shards` stops with an
# error, or skips the damage only when asked to, and says how many examples that drops.

# %%
last = paths[-1]
last.write_bytes(last.read_bytes()[:-100])
report = dlcv.check_shards(f"{folder}/train/shard-*.tfrecord")
for problem in report.problems:
    print(f"{problem.path.name}: record {problem.record}: {problem.reason}")
try:
    dlcv.read_shards(f"{folder}/train/shard-*.tfrecord", report=report)
except dlcv.ShardError as error:
    print("read_shards refused:", str(error).splitlines()[0])
kept = dlcv.read_shards(f"{folder}/train/shard-*.tfrecord", report=report, on_error="skip")
print(f"with on_error='skip': {sum(1 for _ in kept)} of {len(x_train)} examples read")

# %% [markdown]
# ## An image model on video, frame by frame
#
# The convnet above has only seen still, centred digits. `dlcv.make_moving_clips` makes clips
# of a digit sliding over a noisy canvas of the same size, and `dlcv.apply_per_frame` runs the
# image model on every frame; averaging the frames' probabilities gives one answer per clip
# ([reusability](../reusability/)).

# %%
clips = dlcv.make_moving_clips(
    x_test, y_test, frames=8, canvas_size=8, speed=0.0, noise=0.4, seed=0
)
probabilities = keras.ops.softmax(dlcv.apply_per_frame(model, clips.clips)).numpy()
per_frame = (probabilities.argmax(-1) == clips.labels[:, None]).mean()
per_clip = (probabilities.mean(axis=1).argmax(-1) == clips.labels).mean()
print(f"{len(clips.labels)} clips of 8 noisy frames")
print(f"accuracy per frame {per_frame:.3f}, per clip after averaging {per_clip:.3f}")
