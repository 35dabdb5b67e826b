"""Content-addressed weights store: `<storage>/<sha[:2]>/<sha>.safetensors`, written atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class WeightsStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.safetensors"

    def put(self, source: Path, sha256: str) -> Path:
        """Moves `source` (whose content hashes to `sha256`) into the store; a blob already there is kept."""
        target = self.path(sha256)
        if target.exists():
            source.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)  # atomic on one filesystem
        except OSError:  # another filesystem: copy to a temp file beside the target, then rename
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".partial") as partial:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, partial, 1 << 20)
                partial.flush()
                os.fsync(partial.fileno())
            os.replace(partial.name, target)
            source.unlink(missing_ok=True)
        return target
