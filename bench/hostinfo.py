"""The machine a benchmark ran on, for the header of its report."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_name() -> str:
    """'<model name> ×<logical CPUs>', from /proc/cpuinfo where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ×{os.cpu_count()}"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs"
