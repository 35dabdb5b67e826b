"""A small per-process LRU of built models keyed by weights sha256, so consecutive shards of one submission
load the weights once."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from torch import nn


class ModelCache:
    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._models: OrderedDict[str, nn.Module] = OrderedDict()

    def get(self, key: str, build: Callable[[], nn.Module]) -> nn.Module:
        if key in self._models:
            self._models.move_to_end(key)
            return self._models[key]
        while len(self._models) >= self.size:
            self._models.popitem(last=False)  # drop the least recently used before building the next
        model = build()
        self._models[key] = model
        return model

    def __len__(self) -> int:
        return len(self._models)
