"""Subsets of a dataset folder: N images per class, or a file list such as RobustBench's 5,000 ImageNet ids.

A subset selects by `<wnid>/<file stem>`, so one subset picks the same images in every ImageNet-C
(corruption, severity) folder, in the clean folder and (as `<stem>.mp4`) in ImageNet-P. List entries are
`<wnid>/<file>` (RobustBench's format) or bare file names; entries matching no file are reported missing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from evaluators.data.folders import Folder
from evaluators.errors import DatasetError, InvalidInputError
from evaluators.seeding import derive_seed


def _key(relpath: str) -> tuple[str, str]:
    """(class folder, file stem) of `<wnid>/.../<file>`; class folder "" for a bare file name."""
    path = PurePosixPath(relpath.strip())
    return (path.parts[0] if len(path.parts) > 1 else "", path.stem)


@dataclass(frozen=True)
class Subset:
    """Exactly one of `per_class` (with `seed`) or `list_file` (checked against `list_sha256`)."""

    per_class: int | None = None
    seed: int = 0
    list_file: str | None = None
    list_sha256: str | None = None

    def __post_init__(self) -> None:
        if (self.per_class is None) == (self.list_file is None):
            raise InvalidInputError("a subset is either N per class or a file list")
        if self.per_class is not None and self.per_class < 1:
            raise InvalidInputError(f"images per class must be >= 1, got {self.per_class}")

    @classmethod
    def from_list(cls, path: str | Path) -> Subset:
        """A file list, pinned to its current contents."""
        return cls(list_file=str(path), list_sha256=hashlib.sha256(_read(path)).hexdigest())

    @classmethod
    def parse(cls, text: str) -> Subset:
        """The CLI's `--subset`: an integer (images per class) or the path of a file list."""
        return cls(per_class=int(text)) if text.strip().isdigit() else cls.from_list(text)

    def select(self, folder: Folder) -> Folder:
        """The folder restricted to the subset; its problems too, plus list entries that match no file."""
        paths = [s.relpath for s in folder.samples] + list(folder.problems)
        chosen, missing = self._per_class(paths) if self.per_class is not None else self._listed(paths)
        problems = {p: r for p, r in folder.problems.items() if p in chosen} | missing
        return replace(folder, samples=tuple(s for s in folder.samples if s.relpath in chosen), problems=problems)

    def _per_class(self, paths: list[str]) -> tuple[set[str], dict[str, str]]:
        # A fixed pseudo-random choice per class folder, ranking files (usable or not, so that the choice does
        # not depend on which files are broken) by a hash of (seed, class, stem).
        by_class: dict[str, list[str]] = defaultdict(list)
        for path in paths:
            by_class[_key(path)[0]].append(path)
        chosen: set[str] = set()
        for members in by_class.values():
            ranked = sorted(members, key=lambda p: (derive_seed(self.seed, *_key(p)), p))
            chosen.update(ranked[: self.per_class])
        return chosen, {}

    def _listed(self, paths: list[str]) -> tuple[set[str], dict[str, str]]:
        data = _read(self.list_file or "")
        if self.list_sha256 is not None and hashlib.sha256(data).hexdigest() != self.list_sha256:
            raise DatasetError(f"{self.list_file}: the subset file list changed since it was chosen")
        try:
            entries = [line.strip() for line in data.decode().splitlines()]
        except UnicodeDecodeError:
            raise DatasetError(f"{self.list_file}: not a text file list") from None
        wanted = {_key(e): e for e in entries if e and not e.startswith("#")}
        if not wanted:
            raise DatasetError(f"{self.list_file}: the subset file list is empty")
        chosen, found = set(), set()
        for path in paths:
            wnid, stem = _key(path)
            key = (wnid, stem) if (wnid, stem) in wanted else ("", stem)
            if key in wanted:
                chosen.add(path)
                found.add(key)
        missing = {entry: "missing: listed in the subset, not in the folder"
                   for key, entry in wanted.items() if key not in found}
        return chosen, missing

    def to_dict(self) -> dict[str, Any]:
        if self.per_class is not None:
            return {"per_class": self.per_class, "seed": self.seed}
        return {"list_file": self.list_file, "list_sha256": self.list_sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Subset:
        return cls(per_class=data.get("per_class"), seed=int(data.get("seed", 0)),
                   list_file=data.get("list_file"), list_sha256=data.get("list_sha256"))


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the subset file list ({error.strerror or error})") from None
