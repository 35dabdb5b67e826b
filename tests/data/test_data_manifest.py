"""Manifests name exactly the data: the hash depends on every path and size (and, optionally, content), not on
order; 50,000 entries hash in well under a second (not asserted: tests never time)."""

from __future__ import annotations

from evaluators.data.manifest import Manifest, combined_sha256


def test_hash_is_order_independent_and_sensitive():
    entries = [("fog/1/n01/a.JPEG", 10), ("fog/1/n01/b.JPEG", 20)]
    manifest = Manifest.build(entries)
    assert manifest == Manifest.build(reversed(entries))
    assert manifest.files == 2 and manifest.total_bytes == 30 and manifest.content_sha256 is None
    assert manifest.sha256 != Manifest.build([entries[0], ("fog/1/n01/b.JPEG", 21)]).sha256
    assert manifest.sha256 != Manifest.build([entries[0], ("fog/2/n01/b.JPEG", 20)]).sha256
    assert manifest.sha256 != Manifest.build(entries[:1]).sha256


def test_content_hash_and_dict():
    entries = [("a", 1), ("b", 2)]
    one = Manifest.build(entries, {"a": "00", "b": "11"})
    two = Manifest.build(entries, {"a": "00", "b": "12"})
    assert one.sha256 == two.sha256 and one.content_sha256 != two.content_sha256
    assert one.to_dict()["files"] == 2 and "entries" not in one.to_dict()
    assert one.to_dict(include_files=True)["entries"] == [["a", 1], ["b", 2]]


def test_many_files_and_combined():
    manifest = Manifest.build((f"n{i % 1000:08d}/ILSVRC2012_val_{i:08d}.JPEG", 10_000 + i) for i in range(50_000))
    assert manifest.files == 50_000
    assert combined_sha256({"a": "1", "b": "2"}) == combined_sha256({"b": "2", "a": "1"})
    assert combined_sha256({"a": "1"}) != combined_sha256({"a": "2"})
