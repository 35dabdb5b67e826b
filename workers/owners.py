"""Who runs a shard (`host:pid`), and whether that run is still alive."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from service.models import utcnow


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_is_dead(owner: str | None, heartbeat_at: datetime | None, stale_after_s: float) -> bool:
    """A run is dead when its process on this host is gone, or (any host) its heartbeat went stale."""
    if owner is None or heartbeat_at is None:
        return True
    if heartbeat_at < utcnow() - timedelta(seconds=stale_after_s):
        return True
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))
