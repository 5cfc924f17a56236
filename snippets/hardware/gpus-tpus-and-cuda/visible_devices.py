"""Which versions and devices does TensorFlow see on this machine?"""

import keras

from dlcv.hardware import describe_hardware, format_hardware

keras.utils.set_random_seed(0)

print(format_hardware(describe_hardware()))
