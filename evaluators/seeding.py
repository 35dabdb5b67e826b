"""Per-item seeds derived from a run seed and the item's identity, so reruns and resumed runs agree.

A seed depends only on (run seed, parts such as corruption, severity, relative path), never on order or
worker count. 32-bit, because NumPy's legacy RandomState (the reference's RNG) takes seeds below 2**32.
"""

import hashlib


def derive_seed(seed: int, *parts: object) -> int:
    """Stable 32-bit seed for one item, e.g. derive_seed(0, "fog", 3, "n01440764/x.JPEG")."""
    text = "\x1f".join([str(int(seed)), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
