"""Converts one torch checkpoint to safetensors inside the intake sandbox: `python -I -m <this> SRC DST ...`.

Runs as a throwaway process under resource limits (CPU seconds, address space, file size), without network
(a separate network namespace where the host allows one, and in any case an audit hook that refuses sockets
and new processes), and loads the file only through the library's `torch.load(weights_only=True)`.
Success: the header metadata as JSON on stdout. A checkpoint the library refuses: its message on stderr,
exit code 2.
"""

from __future__ import annotations

import json
import resource
import sys

REFUSED = 2
_BLOCKED_EVENTS = ("socket.", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                   "os.fork", "os.forkpty", "pty.spawn", "ctypes.dlopen", "urllib.Request", "webbrowser.open")


def _guard(event: str, _args: tuple[object, ...]) -> None:
    if event.startswith(_BLOCKED_EVENTS):
        raise PermissionError(f"the checkpoint sandbox does not allow {event}")


def _limit(kind: int, value: int) -> None:
    _, hard = resource.getrlimit(kind)
    resource.setrlimit(kind, (value, value if hard == resource.RLIM_INFINITY else min(value, hard)))


def main(argv: list[str]) -> int:
    src, dst, cpu_seconds, memory_bytes, file_bytes = argv[0], argv[1], *map(int, argv[2:5])
    from evaluators.errors import CheckpointError
    from evaluators.models.checkpoints import convert_to_safetensors

    _limit(resource.RLIMIT_CPU, cpu_seconds)
    _limit(resource.RLIMIT_AS, memory_bytes)
    _limit(resource.RLIMIT_FSIZE, file_bytes)
    _limit(resource.RLIMIT_CORE, 0)
    sys.addaudithook(_guard)  # after the imports above, which are trusted; audit hooks cannot be removed
    try:
        metadata = convert_to_safetensors(src, dst)
    except CheckpointError as error:
        sys.stderr.write(str(error).replace("\n", " ") + "\n")
        return REFUSED
    except MemoryError:
        sys.stderr.write("the checkpoint needs more memory than the sandbox allows\n")
        return REFUSED
    sys.stdout.write(json.dumps(metadata))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
