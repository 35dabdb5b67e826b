"""What an uploaded file is, from its first bytes: safetensors, a zip-based torch.save, or a legacy pickle."""

from __future__ import annotations

import struct

from service.intake.errors import IntakeError

SAFETENSORS = "safetensors"
TORCH_ZIP = "torch-zip"
TORCH_PICKLE = "torch-pickle"
SNIFF_BYTES = 16
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024  # the format's own cap


def sniff(head: bytes) -> str:
    """The format of a file starting with `head` (its first SNIFF_BYTES), or a 415 naming what it looks like.
    The safetensors header itself is checked once the whole file is in (`safetensors_header`)."""
    if head.startswith(b"PK\x03\x04"):
        return TORCH_ZIP
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return TORCH_PICKLE
    if len(head) >= 9:
        (header_len,) = struct.unpack("<Q", head[:8])
        if 2 <= header_len <= MAX_SAFETENSORS_HEADER and head[8:9] == b"{":
            return SAFETENSORS
    raise IntakeError(415, f"not a checkpoint: the file {_looks_like(head)}; upload a .safetensors file or a "
                           "torch.save file (.pt, .pth, .pth.tar)")


def _looks_like(head: bytes) -> str:
    text = head.lstrip()[:9].lower()
    if text.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        return "is HTML or XML (a download page saved instead of the weights?)"
    if text.startswith((b"{", b"[")):
        return "is JSON text"
    if head.startswith(b"\x1f\x8b"):
        return "is gzip-compressed; unpack it first"
    if not head:
        return "is empty"
    return f"starts with bytes {head[:8].hex(' ')}, which no supported format does"
