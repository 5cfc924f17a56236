"""Pick the strategy and precision for this machine, then train with the same call
anywhere."""

import keras
import tensorflow as tf

import dlcv

keras.utils.set_random_seed(0)

setup = dlcv.setup_hardware()  # prints what it chose
per_replica_batch = 32
global_batch = setup.global_batch_size(per_replica_batch)
print(
    f"global batch {global_batch}: {per_replica_batch} per replica, {setup.replicas} "
    f"replica(s)"
)

images, labels = dlcv.load_digits_images()
x_train, x_test, y_train, y_test = dlcv.split_train_test(images, labels, seed=0)

# variables are created, placed and mirrored by the strategy
with setup.strategy.scope():
    # One 3x3 convolution, pooling and a dense layer; the closing softmax stays in
    # float32 whatever the policy, for a stable loss.
    model = dlcv.digits_convnet(softmax=True)
    optimizer = keras.optimizers.Adam(1e-2)

history = dlcv.train(
    model,
    tf.data.Dataset.from_tensor_slices((x_train, y_train)),
    loss="sparse_categorical_crossentropy",
    optimizer=optimizer,
    epochs=4,
    global_batch_size=global_batch,
    strategy=setup.strategy,
    validation_data=tf.data.Dataset.from_tensor_slices((x_test, y_test)),
    # run it again: it resumes, here finding all 4 epochs done
    checkpoint_dir="checkpoints",
)
print(
    f"trained on {history.replicas} replica(s); final validation accuracy "
    f"{history.last('val_accuracy'):.3f}"
)
