"""A small Python client of the cpbench API (httpx), used by the CLI.

    client = Client("http://127.0.0.1:8000", token)
    submitted = client.submit("resnet18.safetensors", model="resnet18", suites=["imagenet-c"], name="R18")
    client.wait(submitted["evaluations"])

The upload streams from disk in a hand-built multipart body (metadata first, so the server can refuse a bad
request before the weights are sent), with a progress callback.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
TERMINAL = ("finished", "failed", "cancelled")
CHUNK = 1 << 20


class ApiError(Exception):
    """A refusal by the server (status >= 400) or no server at all (status 0), with one plain message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Client:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 60.0) -> None:
        self.url = (url or os.environ.get("CPBENCH_URL") or DEFAULT_URL).rstrip("/")
        self.token = token or os.environ.get("CPBENCH_TOKEN") or None
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise ApiError(0, f"cannot reach the cpbench server at {self.url} ({type(error).__name__}: {error}); "
                              "start it with `cpbench serve`, or set --url / CPBENCH_URL") from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(response))
        return response

    def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", f"/api/v1{path}", params=clean).json()

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", f"/api/v1{path}", json=body).json()

    def submit(self, checkpoint: str | Path, model: str, suites: Sequence[str], name: str | None = None,
               public: bool = False, preprocessing: dict[str, Any] | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Uploads a checkpoint; returns {"id", "created", "duplicate", "evaluations"}."""
        path = Path(checkpoint)
        metadata = {"name": name or path.name, "model": model, "public": public, "suites": list(suites)}
        if preprocessing:
            metadata["preprocessing"] = preprocessing
        boundary = secrets.token_hex(16)
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n"
                f"Content-Type: application/json\r\n\r\n{json.dumps(metadata)}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{path.name.replace(chr(34), '')}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = path.stat().st_size

        def body() -> Iterator[bytes]:
            yield head
            sent = 0
            with path.open("rb") as file:
                while chunk := file.read(CHUNK):
                    sent += len(chunk)
                    if progress is not None:
                        progress(sent, size)
                    yield chunk
            yield tail

        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "Content-Length": str(len(head) + size + len(tail))}
        response = self.request("POST", "/api/v1/submissions", content=body(), headers=headers,
                                timeout=httpx.Timeout(60.0, read=900.0))
        return response.json()

    def evaluation(self, evaluation_id: int) -> dict[str, Any]:
        return self.get(f"/evaluations/{evaluation_id}")

    def results(self, evaluation_id: int) -> dict[str, Any]:
        return self.get(f"/evaluations/{evaluation_id}/results")

    def leaderboard(self, suite: str, **params: Any) -> dict[str, Any]:
        return self.get("/leaderboard", suite=suite, **params)

    def compare(self, a: int, b: int) -> dict[str, Any]:
        return self.get("/compare", a=a, b=b)

    def cancel(self, evaluation_id: int) -> dict[str, Any]:
        return self.post(f"/evaluations/{evaluation_id}/cancel")

    def rerun(self, evaluation_id: int) -> dict[str, Any]:
        return self.post(f"/evaluations/{evaluation_id}/rerun")

    def wait(self, evaluation_ids: Sequence[int], on_update: Callable[[list[dict[str, Any]]], None] | None = None,
             poll_s: float = 2.0, timeout_s: float | None = None) -> list[dict[str, Any]]:
        """Polls until every evaluation is finished, failed or cancelled; returns their last states."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            states = [self.evaluation(e) for e in evaluation_ids]
            if on_update is not None:
                on_update(states)
            if all(state["status"] in TERMINAL for state in states):
                return states
            if deadline is not None and time.monotonic() > deadline:
                raise ApiError(0, f"gave up waiting after {timeout_s:g} s")
            time.sleep(poll_s)


def _message(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail)
    return str(detail or response.text.strip()[:300] or response.reason_phrase)
