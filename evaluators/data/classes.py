"""Class lists: which folder name (wnid) gets which label, as the model's output order defines it.

The label of `<wnid>/<file>` is the index of `wnid` in the model's class list (ImageNet-1k's 1000 sorted wnids
by default), not its index among the folders present, so a folder holding fewer classes, or a subset of
them, is labelled exactly as the full set would be.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from evaluators.errors import DatasetError, InvalidInputError

WNIDS_FILE = Path(__file__).with_name("imagenet_wnids.txt")
IMAGENET_1K = "imagenet-1k"


@dataclass(frozen=True)
class ClassList:
    """Model output index i is class `wnids[i]`."""

    wnids: tuple[str, ...]
    name: str = "custom"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.wnids:
            raise InvalidInputError("a class list needs at least one class")
        index = {wnid: i for i, wnid in enumerate(self.wnids)}
        if len(index) != len(self.wnids):
            repeated = sorted({w for w in self.wnids if self.wnids.count(w) > 1})
            raise InvalidInputError(f"class list names {', '.join(repeated)} more than once")
        object.__setattr__(self, "_index", index)

    @classmethod
    def imagenet(cls) -> ClassList:
        return _imagenet()

    @classmethod
    def from_file(cls, path: str | Path) -> ClassList:
        """One class folder name per line, in model output order; blank lines and `#` comments ignored."""
        try:
            lines = Path(path).read_text().splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise DatasetError(f"{path}: cannot read the class list ({error})") from None
        wnids = tuple(s for s in (line.split("#", 1)[0].strip() for line in lines) if s)
        return cls(wnids, name=Path(path).name)

    def __len__(self) -> int:
        return len(self.wnids)

    def label(self, wnid: str) -> int | None:
        return self._index.get(wnid)

    @property
    def sha256(self) -> str:
        return hashlib.sha256("\n".join(self.wnids).encode()).hexdigest()

    @property
    def is_imagenet_1k(self) -> bool:
        return self.wnids == _imagenet().wnids

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "classes": len(self), "sha256": self.sha256}


@cache
def _imagenet() -> ClassList:
    return ClassList(tuple(WNIDS_FILE.read_text().split()), name=IMAGENET_1K)


def resolve_classes(classes: ClassList | Sequence[str] | None) -> ClassList:
    """None -> ImageNet-1k; a sequence of wnids -> a custom list."""
    if classes is None:
        return ClassList.imagenet()
    if isinstance(classes, ClassList):
        return classes
    return ClassList(tuple(classes))
