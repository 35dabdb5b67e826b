"""The batched torch path of the ImageNet-C corruptions: `corrupt_batch(x, name, severity, generator)` for a
B×3×224×224 batch on the CPU or a GPU.

    from evaluators.corruptions import corrupt_batch
    out = corrupt_batch(images_uint8_cuda, "glass_blur", 3, generator=[seed_0, ..., seed_b])

Each corruption repeats the numpy path (`evaluators.corruptions`) operation for operation and in its dtypes:
float64 where it computes in float64 (also on a GPU: exactness over speed), float32 where it does, OpenCV's
fixed-point and float32 steps and Pillow's fixed-point resize emulated; constants, kernels and index
builders come from the registry and `evaluators.imageops`. So the deterministic corruptions give the numpy
path's bytes (on the CPU bit for bit, tested on the conformance images and photos). Only jpeg_compression
leaves the device: the codec is Pillow's, as in the numpy path.

The random corruptions draw their fields with torch on the device: the numpy path's distributions, not its
numbers (so not seed-exact with it; checked against the conformance statistics). `numpy_rng=True` draws the
numpy path's own numbers on the CPU instead, which makes image i equal `corrupt(x[i], seed=seeds[i])`.

On the CPU a batch is processed a few images at a time (`registry.BatchedEntry.cpu_chunk`): float64
temporaries of a whole batch fall out of cache and into fresh pages, which costs more than the arithmetic.
"""

from evaluators.corruptions.batched.api import corrupt_batch

__all__ = ["corrupt_batch"]
