"""Atomic file writes: a complete file appears under its final name, or nothing does."""

from __future__ import annotations

import os
from pathlib import Path

TEMP_SUFFIX = ".cpbench-tmp"


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_temp_files(root: Path) -> int:
    """Deletes temp files an interrupted run may have left (e.g. a worker killed mid-write)."""
    removed = 0
    for temp in root.rglob(f"*{TEMP_SUFFIX}") if root.is_dir() else ():
        temp.unlink(missing_ok=True)
        removed += 1
    return removed
