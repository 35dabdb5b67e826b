"""Runs `sandbox_child` to turn a torch pickle into safetensors without unpickling anything in this process."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from service.intake.errors import IntakeError
from service.settings import Settings

log = logging.getLogger(__name__)


@cache
def network_isolation() -> tuple[str, ...]:
    """A command prefix that gives the child an empty network namespace, if this host allows one."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for prefix in ((unshare, "--net"), (unshare, "--net", "--map-root-user")):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    log.warning("no network namespace available: the checkpoint sandbox relies on its socket guard alone")
    return ()


def convert_pickle(src: Path, dst: Path, settings: Settings) -> dict[str, str]:
    """Converts `src` to safetensors at `dst`; returns the header metadata, or raises a 422 IntakeError."""
    limits = [settings.sandbox_cpu_s, settings.sandbox_memory_bytes, 2 * settings.max_upload_bytes + (1 << 20)]
    command = [*network_isolation(), sys.executable, "-I", "-m", "service.intake.sandbox_child",
               str(src), str(dst), *map(str, limits)]
    with tempfile.TemporaryDirectory(prefix="cpbench-sandbox-") as workdir:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "LANG": "C.UTF-8",
               "OMP_NUM_THREADS": "1"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir,
                                  stdin=subprocess.DEVNULL, timeout=settings.sandbox_timeout_s)
        except subprocess.TimeoutExpired:
            dst.unlink(missing_ok=True)
            raise IntakeError(422, f"checkpoint conversion took longer than {settings.sandbox_timeout_s:g} s") from None
    if done.returncode == 0:
        return json.loads(done.stdout)
    dst.unlink(missing_ok=True)
    if done.returncode == 2 and done.stderr.strip():
        raise IntakeError(422, done.stderr.strip().splitlines()[-1])
    if done.returncode < 0 or done.returncode in (128 + signal.SIGXCPU, 128 + signal.SIGKILL):
        raise IntakeError(422, "checkpoint conversion exceeded the sandbox's CPU, memory or size limits")
    log.error("checkpoint sandbox failed (exit %s): %s", done.returncode, done.stderr[-2000:])
    raise IntakeError(422, "the checkpoint could not be read (the converter failed on it)")
