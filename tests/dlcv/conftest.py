"""Test set-up for the tests of the `dlcv` package: TensorFlow's devices.

pytest loads tests/conftest.py first, which quiets TensorFlow's C++ start-up log before the
import below.
"""

from __future__ import annotations

import tensorflow as tf

# Two logical CPU devices stand in for two GPUs in the strategy tests. This must happen before
# TensorFlow initialises its devices, which is why it lives here and not in a fixture.
_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)
