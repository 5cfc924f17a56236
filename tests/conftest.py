"""Test set-up shared by every test module."""

from __future__ import annotations

import os

# TensorFlow's C++ start-up chatter says nothing about the tests.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

# Two logical CPU devices stand in for two GPUs in the strategy tests. This must happen before
# TensorFlow initialises its devices, which is why it lives here and not in a fixture.
_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)
