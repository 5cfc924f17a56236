"""An image model trained on still digits, applied frame by frame to video clips."""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.video import apply_per_frame, make_moving_clips

keras.utils.set_random_seed(0)
# per-pixel noise, independent in every frame; the digits' strokes are near 1
NOISE = 0.4

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)

# --8<-- [start:image_model]
# Still images: training digits at random places on a noisy 16x16 canvas (one-frame
# clips).
stills = make_moving_clips(
    x_train, y_train, frames=1, canvas_size=16, noise=NOISE, num_clips=6000, seed=1
)
image_model = keras.Sequential(
    [
        keras.Input((16, 16, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.GlobalMaxPooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
image_model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
image_model.fit(stills.clips[:, 0], stills.labels, epochs=5, batch_size=64, verbose=0)
# --8<-- [end:image_model]

# --8<-- [start:video]
# Video: each test digit moves 1.5 pixels per frame for 8 frames, with fresh noise per
# frame.
video = make_moving_clips(
    x_test, y_test, frames=8, canvas_size=16, speed=1.5, noise=NOISE, seed=2
)
# (clips, frames, 10) probabilities
per_frame = apply_per_frame(image_model, video.clips)
per_clip = per_frame.mean(axis=1)  # pool over time: one distribution per clip

frame_right = per_frame.argmax(axis=-1) == video.labels[:, np.newaxis]
clip_right = per_clip.argmax(axis=-1) == video.labels
# --8<-- [end:video]

some_wrong = ~frame_right.all(axis=1)
print(
    f"{len(video.clips)} clips of {video.clips.shape[1]} frames, "
    f"{video.clips.shape[2:]} each"
)
print(f"Image model, trained on {len(stills.clips):,} still images only")
print()
print(f"Per-frame accuracy                 {frame_right.mean():.3f}")
print(f"Per-clip accuracy (mean over time) {clip_right.mean():.3f}")
change = "raised" if clip_right.mean() > frame_right.mean() else "did not raise"
print(f"Pooling over {video.clips.shape[1]} frames {change} the accuracy.")
print()
print(f"Clips with at least one wrong frame: {some_wrong.sum()}")
print(f"  ... that the pooled prediction gets right: {(some_wrong & clip_right).sum()}")
print(f"Clips whose pooled prediction is wrong: {(~clip_right).sum()}")
print(
    f"  ... with most frames wrong too: "
    f"{(~clip_right & (frame_right.mean(1) < 0.5)).sum()}"
)

# Show the clip with the most wrong frames among those the pooled prediction gets right.
shown = int(np.argmax(np.where(clip_right, (~frame_right).sum(axis=1), -1)))
use_style()
fig = Figure(figsize=(5.6, 3.6))
axes = fig.subplots(2, video.clips.shape[1] // 2).ravel()
for t, ax in enumerate(axes):
    ax.imshow(video.clips[shown, t, :, :, 0], cmap="gray", vmin=-0.5, vmax=1.5)
    guess = per_frame[shown, t].argmax()
    ax.set_title(
        f"frame {t}: {guess}", color="black" if frame_right[shown, t] else "red"
    )
    ax.set_axis_off()
fig.suptitle(
    f"A clip of the digit {video.labels[shown]}, with each frame's guess;\n"
    f"pooled over time: {per_clip[shown].argmax()}"
)
save_figure(
    fig,
    "clip_per_frame.png",
    caption="An image model's guess for each frame of one clip",
    alt=(
        "Eight noisy 16x16 frames of one test digit moving across the canvas, each "
        "titled with the image model's guess for that frame, wrong guesses in red. The "
        "figure title gives the true digit and the prediction from the per-frame "
        "probabilities averaged over the clip. The clip shown is the one with the most "
        "wrong frames among the clips whose averaged prediction is right."
    ),
)
