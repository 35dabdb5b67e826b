"""What every benchmark report shares: the machine it ran on, and where the report goes."""

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


def publish(report: str, out: Path) -> None:
    """Prints the markdown report and writes it to `out`."""
    print(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
