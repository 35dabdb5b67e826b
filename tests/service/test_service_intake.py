"""Intake and access control against a real API process (`cpbench serve --no-worker`, SQLite): every refusal
answers with a 4xx and a plain message and stores nothing; a large upload streams in flat memory; tokens,
private submissions and others' evaluations behave as documented."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import torch
from service_data import write_code_pickles, write_safetensors
from service_harness import Deployment
from sqlalchemy import func, select

from evaluators.models import save_safetensors
from service.client import ApiError
from service.db import session_scope
from service.models import Evaluation, Submission

pytestmark = [pytest.mark.service, pytest.mark.timeout(900)]
MiB = 1024 * 1024
CAP = 1024 * MiB + 16 * MiB


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, data) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path_factory.mktemp("intake"), CPBENCH_MAX_UPLOAD_BYTES=str(CAP))
    deployment.serve("--no-worker")
    deployment.add_dataset("imagenet-val", "val", data.val)
    deployment.add_dataset("imagenet-c", "c15", data.c15)
    deployment.add_suite("tiny", "imagenet-c", "c15", corruptions=["fog"], severities=[1], clean_dataset="val")
    yield deployment
    deployment.stop_all()


@pytest.fixture(scope="module")
def tokens(api: Deployment) -> dict[str, str]:
    return {name: api.token(name, admin=name == "root") for name in ("root", "alice", "bob")}


def upload(api: Deployment, token: str | None, body: bytes | Iterator[bytes], metadata: dict | None = None,
           filename: str = "model.safetensors", length: bool = True) -> httpx.Response:
    """A multipart POST whose file part comes from `body` (bytes, or a generator streamed without a length)."""
    meta = {"name": "m", "model": "resnet18", "suites": ["tiny"], **(metadata or {})}
    boundary = "testboundary0123456789"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{json.dumps(meta)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, bytes):
        content: bytes | Iterator[bytes] = head + body + tail
    else:
        def stream() -> Iterator[bytes]:
            yield head
            yield from body
            yield tail
        content = stream()
    if not length:
        headers["Transfer-Encoding"] = "chunked"
    return httpx.post(f"{api.url}/api/v1/submissions", content=content, headers=headers, timeout=300)


def stored(api: Deployment) -> tuple[int, list[Path]]:
    """Submissions in the database, and every file in the weights store and the uploads folder."""
    with session_scope(api.settings) as session:
        count = session.scalar(select(func.count()).select_from(Submission)) or 0
    root = api.settings.storage_dir
    assert root is not None
    return count, sorted(p for p in root.rglob("*") if p.is_file())


def zeros(total: int, chunk: int = MiB) -> Iterator[bytes]:
    block = bytes(chunk)
    for start in range(0, total, chunk):
        yield block[: min(chunk, total - start)]


def huge_safetensors(size: int) -> Iterator[bytes]:
    """A well-formed safetensors stream holding one uint8 tensor of `size` bytes (not a resnet18)."""
    header = json.dumps({"x": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
    yield struct.pack("<Q", len(header)) + header
    yield from zeros(size)


def test_refusals_store_nothing(api: Deployment, tokens: dict[str, str], data, tmp_path: Path) -> None:
    token = tokens["alice"]
    gap = data.gap.read_bytes()
    marker = tmp_path / "pwned"
    pickles = write_code_pickles(tmp_path, marker)
    torch.manual_seed(0)
    ten_classes = tmp_path / "ten.safetensors"
    save_safetensors({**torch.load(data.gcp, weights_only=True)["state_dict"], "module.fc.bias": torch.zeros(10)},
                     ten_classes)
    cases = [
        (upload(api, token, gap, {"model": "resnet9000"}), 422, "unknown model 'resnet9000'"),
        (upload(api, token, gap, {"model": "resnet34"}), 422, "checkpoint does not fit resnet34"),
        (upload(api, token, ten_classes.read_bytes(), {"model": "resnet18_gcp"}), 422, "fc.bias [10]"),
        (upload(api, token, gap[: len(gap) // 2]), 422, "truncated"),
        (upload(api, token, data.gcp.read_bytes()[:100_000], {"model": "resnet18_gcp"}, "ckpt.pth.tar"), 422,
         "truncated or corrupt"),
        (upload(api, token, pickles[0].read_bytes(), filename="evil.pth"), 422, "refused"),
        (upload(api, token, pickles[1].read_bytes(), filename="evil_legacy.pt"), 422, "refused"),
        (upload(api, token, b"<!DOCTYPE html><html><body>Google Drive</body></html>", filename="x.pth"), 415,
         "HTML"),
        (upload(api, token, gap, {"suites": ["nope"]}), 422, "no suite named 'nope'"),
        (upload(api, token, huge_safetensors(CAP), length=False), 413, "larger than the upload limit"),
        (upload(api, token, bytes(CAP + 2 * MiB)), 413, "larger than the limit"),
        (upload(api, token, gap, {"preprocessing": {"std": [0, 1, 1]}}), 422, "std must be positive"),
    ]
    for response, status, text in cases:
        assert response.status_code == status, (response.status_code, response.text)
        assert text in response.json()["detail"], response.json()
    broken = httpx.post(f"{api.url}/api/v1/submissions", headers={"Authorization": f"Bearer {token}"},
                        files={"file": ("m.safetensors", gap)}, data={"metadata": "{not json"})
    assert broken.status_code == 400 and "not JSON" in broken.json()["detail"]
    assert not marker.exists()
    assert stored(api) == (0, [])


def test_upload_memory_stays_flat(api: Deployment, tokens: dict[str, str]) -> None:
    """A 1 GiB upload streams to disk: the API's peak RSS grows by far less than 50 MB (measured from a reset
    of the peak, after a small upload that warms the same code path)."""
    size = 1024 * MiB
    pid = api.processes["serve"].pid
    assert upload(api, tokens["alice"], huge_safetensors(MiB), length=False).status_code == 422
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM, the peak resident set
    before = _status_kib(pid, "VmRSS")
    started = time.monotonic()
    response = upload(api, tokens["alice"], huge_safetensors(size), length=False)
    seconds = time.monotonic() - started
    assert response.status_code == 422 and "does not fit resnet18" in response.json()["detail"]
    growth = (_status_kib(pid, "VmHWM") - before) / 1024
    print(f"\nupload of {size / MiB:.0f} MiB in {seconds:.1f} s: API peak RSS grew by {growth:.1f} MiB")
    assert growth < 50
    assert stored(api) == (0, [])


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def test_identical_resubmission(api: Deployment, tokens: dict[str, str], data, tmp_path: Path) -> None:
    client = api.client(tokens["bob"])
    first = client.submit(data.gap, "resnet18", ["tiny"], "R18")
    again = client.submit(data.gap, "resnet18", ["tiny"], "R18 again")
    assert first["created"] and not first["duplicate"] and again == {**first, "created": False, "duplicate": True}
    other = client.submit(write_safetensors(tmp_path / "other.safetensors", "resnet18", seed=1), "resnet18",
                          ["tiny"])
    declared = client.submit(data.gap, "resnet18", ["tiny"], preprocessing={"mean": [0.5, 0.5, 0.5]})
    assert len({first["id"], other["id"], declared["id"]}) == 3  # other weights, other preprocessing: new
    count, files = stored(api)
    assert count == 3 and len(files) == 2  # one blob per distinct weights
    with session_scope(api.settings) as session:
        assert session.scalar(select(func.count()).select_from(Evaluation)) == 3


def test_access_control(api: Deployment, tokens: dict[str, str], data) -> None:
    url = f"{api.url}/api/v1"
    alice, bob, root = (api.client(tokens[n]) for n in ("alice", "bob", "root"))
    private = alice.submit(data.gap, "resnet18", ["tiny"], "private", public=False)
    public = alice.submit(data.gcp, "resnet18_gcp", ["tiny"], "public", public=True)
    (private_eval,), (public_eval,) = private["evaluations"], public["evaluations"]

    response = httpx.post(f"{url}/submissions", files={"file": ("m", b"x")}, data={"metadata": "{}"})
    assert response.status_code == 401 and "needs a token" in response.json()["detail"]
    response = httpx.get(f"{url}/evaluations/{public_eval}", headers={"Authorization": "Bearer cpb_wrong"})
    assert response.status_code == 401 and "invalid token" in response.json()["detail"]
    expired = api.cli("admin", "create-token", "carol", "--expires-days", "0.00001").stdout.strip().splitlines()[-1]
    time.sleep(1.5)
    response = httpx.get(f"{url}/suites", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]

    assert httpx.get(f"{url}/evaluations/{public_eval}").status_code == 200  # public reads need no token
    assert httpx.get(f"{url}/submissions/{public['id']}").status_code == 200
    for path in (f"/evaluations/{private_eval}", f"/evaluations/{private_eval}/results",
                 f"/submissions/{private['id']}"):
        assert httpx.get(url + path).status_code == 404
        assert _refusal(lambda p=path: bob.get(p)).status == 404
        assert alice.get(path) and root.get(path)
    assert _refusal(lambda: bob.compare(public_eval, private_eval)).status == 404

    assert _refusal(lambda: bob.cancel(public_eval)).status == 403
    assert _refusal(lambda: bob.cancel(private_eval)).status == 404
    assert alice.cancel(public_eval)["status"] == "cancelled"
    assert _refusal(lambda: alice.cancel(public_eval)).status == 409
    assert alice.rerun(public_eval)["status"] == "queued"
    assert root.cancel(public_eval)["status"] == "cancelled"  # admins may

    suite = {"name": "other", "kind": "imagenet-c", "dataset": "c15", "corruptions": ["fog"], "severities": [1]}
    assert httpx.post(f"{url}/suites", json=suite).status_code == 401
    assert _refusal(lambda: alice.post("/suites", suite)).status == 403
    assert root.post("/suites", suite)["name"] == "other"
    assert _refusal(lambda: root.post("/suites", suite)).status == 409


def _refusal(call: Callable[[], object]) -> ApiError:
    with pytest.raises(ApiError) as refused:
        call()
    return refused.value
