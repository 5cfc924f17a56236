"""How many floating-point operations per second does this machine reach on a matrix
product?"""

# output varies: these are timings

import keras

from dlcv.bench import time_matmul

keras.utils.set_random_seed(0)

print("Matrix products, float32, median of 10 timed runs")
print()
print(f"{'n':>5}  {'ms per product':>14}  {'GFLOP/s':>8}  device")
for n in (256, 512, 1024, 2048):
    timing = time_matmul(n, dtype="float32", repeats=10, warmup=2)
    gflops = timing.flops_per_second / 1e9
    print(f"{n:>5}  {timing.seconds * 1e3:>14.2f}  {gflops:>8.1f}  {timing.device}")
