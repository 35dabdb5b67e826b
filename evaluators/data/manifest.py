"""A manifest names exactly the data a result saw: the files (relative to the dataset root), their sizes, and
a hash over the sorted (path, size) list, optionally also over the files' contents.

The (path, size) hash costs one stat per file, already done by the folder scan, so it is free for 50,000
files; the content hash is computed by the loader workers from the bytes they read anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FORMAT = "cpbench-manifest/1"


@dataclass(frozen=True)
class Manifest:
    entries: tuple[tuple[str, int], ...]  # (path relative to the dataset root, size in bytes), sorted
    sha256: str
    content_sha256: str | None = None

    @classmethod
    def build(cls, entries: Iterable[tuple[str, int]], contents: Mapping[str, str] | None = None) -> Manifest:
        """`contents` maps each path to the sha256 of its bytes, when the caller hashed them."""
        ordered = tuple(sorted(entries))
        digest = hashlib.sha256(f"{FORMAT}\n".encode())
        for path, size in ordered:
            digest.update(f"{path}\t{size}\n".encode())
        content = None
        if contents is not None:
            content_digest = hashlib.sha256(f"{FORMAT} contents\n".encode())
            for path, _ in ordered:
                content_digest.update(f"{path}\t{contents[path]}\n".encode())
            content = content_digest.hexdigest()
        return cls(ordered, digest.hexdigest(), content)

    @property
    def files(self) -> int:
        return len(self.entries)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.entries)

    def to_dict(self, include_files: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT, "files": self.files, "bytes": self.total_bytes,
                                "sha256": self.sha256, "content_sha256": self.content_sha256}
        if include_files:
            data["entries"] = [list(entry) for entry in self.entries]
        return data


def combined_sha256(manifests: Mapping[str, str]) -> str:
    """One hash for the manifests of several shards ({shard key: manifest sha256}), order-independent."""
    digest = hashlib.sha256(f"{FORMAT} shards\n".encode())
    for key, sha in sorted(manifests.items()):
        digest.update(f"{key}\t{sha}\n".encode())
    return digest.hexdigest()
