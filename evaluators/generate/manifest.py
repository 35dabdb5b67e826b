"""Generation settings kept beside the output, and the streamed `manifest.json` of every output file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evaluators.errors import InvalidInputError
from evaluators.generate.atomic import TEMP_SUFFIX

SETTINGS_FILE = ".cpbench-generate.json"


def pin_settings(dst: Path, settings: Mapping[str, Any]) -> None:
    """Records the settings that determine output bytes; a later run into the same folder must match them,
    so a resumed run can never mix files made with another seed or engine."""
    path = dst / SETTINGS_FILE
    if path.is_file():
        pinned = json.loads(path.read_text())
        changed = {k: (pinned.get(k), v) for k, v in settings.items() if pinned.get(k) != v}
        if changed:
            detail = ", ".join(f"{k}={old!r} (now {new!r})" for k, (old, new) in changed.items())
            raise InvalidInputError(f"{dst} was generated with {detail}; use another destination or the same settings")
        return
    dst.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(settings), indent=2, sort_keys=True) + "\n")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(path: Path, header: Mapping[str, Any], files: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
    """Streams {header..., "files": {relpath: entry}} to `path` one entry at a time; returns the file count."""
    temp = path.with_name(f".{path.name}{TEMP_SUFFIX}")
    count = 0
    with open(temp, "w") as out:
        out.write("{\n")
        for key, value in header.items():
            out.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        out.write('  "files": {')
        for relpath, entry in files:
            out.write(("," if count else "") + f"\n    {json.dumps(relpath)}: {json.dumps(entry, sort_keys=True)}")
            count += 1
        out.write("\n  }\n}\n")
    temp.replace(path)
    return count
