"""Receives `multipart/form-data` by streaming the request body through python-multipart's parser: the file
part goes straight to disk with a running sha256 and a size cap, so memory stays flat for any upload size.

A refusal found mid-stream (over the cap, not a checkpoint) deletes the partial file at once, then reads and
discards the rest of the body (up to a bound) so that an ordinary HTTP client, which sends its whole body
before reading the answer, gets the 4xx and its message rather than a broken pipe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from service.intake.errors import IntakeError
from service.intake.filetype import SAFETENSORS, SNIFF_BYTES, sniff

MAX_METADATA_BYTES = 64 * 1024
FORM_OVERHEAD_BYTES = 1024 * 1024  # boundaries, part headers and the metadata field
DRAIN_LIMIT_BYTES = 4 * 1024**3  # read and dropped after a refusal, at most


@dataclass(frozen=True)
class Upload:
    metadata: bytes
    path: Path  # the uploaded file, in the uploads folder; the caller owns it
    filename: str
    format: str  # safetensors | torch-zip | torch-pickle (from the first bytes)
    sha256: str
    size: int


class _Receiver:
    def __init__(self, directory: Path, max_bytes: int, on_metadata: Callable[[bytes], None] | None) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.on_metadata = on_metadata
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.part: str | None = None
        self.metadata: bytearray | None = None
        self.filename = ""
        self.file: tempfile._TemporaryFileWrapper[bytes] | None = None
        self.head = b""
        self.format = ""
        self.digest = hashlib.sha256()
        self.size = 0

    def callbacks(self) -> dict[str, object]:
        return {"on_part_begin": self.on_part_begin, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end}

    def on_part_begin(self) -> None:
        self.headers, self.part = {}, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "file":
            if self.file is not None:
                raise IntakeError(400, "send one `file` part")
            self.part = "file"
            self.filename = Path(options.get(b"filename", b"upload").decode("utf-8", "replace")).name or "upload"
            self.file = tempfile.NamedTemporaryFile(dir=self.directory, prefix="upload-", delete=False)  # noqa: SIM115
        elif name == "metadata":
            if self.metadata is not None:
                raise IntakeError(400, "send one `metadata` part")
            self.part, self.metadata = "metadata", bytearray()
        else:
            raise IntakeError(400, f"unexpected form field {name!r}; send `file` and `metadata`")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part == "metadata":
            assert self.metadata is not None
            self.metadata += chunk
            if len(self.metadata) > MAX_METADATA_BYTES:
                raise IntakeError(413, f"metadata is larger than {MAX_METADATA_BYTES // 1024} KiB")
            return
        assert self.file is not None
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise IntakeError(413, f"the file is larger than the upload limit of {_human(self.max_bytes)}")
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES:
                self.format = sniff(self.head)  # refuses an HTML page, say, before the rest arrives
        self.digest.update(chunk)
        self.file.write(chunk)

    def on_part_end(self) -> None:
        if self.part == "metadata" and self.on_metadata is not None and self.metadata is not None:
            self.on_metadata(bytes(self.metadata))  # a client that sends metadata first is refused early

    def finish(self) -> Upload:
        if self.file is None:
            raise IntakeError(400, "the form has no `file` part (the checkpoint)")
        if self.metadata is None:
            raise IntakeError(400, "the form has no `metadata` part (a JSON object)")
        if len(self.head) < SNIFF_BYTES:
            self.format = sniff(self.head)
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        path = Path(self.file.name)
        # the library tells checkpoint formats apart by suffix (zip-based and legacy pickles alike are .pt)
        named = path.with_name(path.name + (".safetensors" if self.format == SAFETENSORS else ".pt"))
        path.rename(named)
        self.file = None
        return Upload(bytes(self.metadata), named, self.filename, self.format, self.digest.hexdigest(), self.size)

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            Path(self.file.name).unlink(missing_ok=True)
            self.file = None


async def receive(content_type: str, content_length: int | None, body: AsyncIterator[bytes], directory: Path,
                  max_bytes: int, on_metadata: Callable[[bytes], None] | None = None) -> Upload:
    """Streams a multipart body; raises IntakeError (nothing left on disk) or returns the Upload.
    `on_metadata` checks the metadata part as soon as it is complete, and may refuse with an IntakeError."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise IntakeError(415, "send multipart/form-data with a `file` part and a `metadata` part")
    if content_length is not None and content_length > max_bytes + FORM_OVERHEAD_BYTES:
        raise IntakeError(413, f"the upload ({_human(content_length)}) is larger than the limit of {_human(max_bytes)}")
    receiver = _Receiver(directory, max_bytes, on_metadata)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    refusal: IntakeError | None = None
    discarded = 0
    try:
        async for chunk in body:
            if refusal is None:
                try:
                    parser.write(chunk)
                except IntakeError as error:
                    receiver.discard()
                    refusal = error
            else:
                discarded += len(chunk)
                if discarded > DRAIN_LIMIT_BYTES:
                    break
        if refusal is not None:
            raise refusal
        parser.finalize()
        return receiver.finish()
    except MultipartParseError as error:
        raise IntakeError(400, f"malformed multipart body ({error})") from None
    finally:
        receiver.discard()


def _human(size: float) -> str:
    if size < 1024:
        return f"{size:g} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"
