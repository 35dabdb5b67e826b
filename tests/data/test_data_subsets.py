"""Subsets: N per class (a fixed pseudo-random choice) or a file list; the same images in every layout."""

from __future__ import annotations

import pytest

from evaluators.data import ClassList, Subset, clean_folder, scan_folder
from evaluators.data.folders import VIDEO_EXTENSIONS
from evaluators.errors import DatasetError, InvalidInputError

CLASSES = ClassList(("n01", "n02", "n03"))


@pytest.fixture
def tree(tmp_path):
    for wnid in CLASSES.wnids:
        for i in range(6):
            for root, ext in (("val", "JPEG"), ("p", "mp4")):
                path = tmp_path / root / wnid / f"ILSVRC2012_val_{wnid}{i:03d}.{ext}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"x" * (i + 1))
    return tmp_path


def stems(folder):
    return {s.relpath.rsplit(".", 1)[0] for s in folder.samples}


def test_per_class_is_fixed_and_layout_independent(tree):
    val = clean_folder(tree / "val", CLASSES)
    p = scan_folder(tree / "p", CLASSES, VIDEO_EXTENSIONS)
    subset = Subset(per_class=2, seed=3)
    chosen = subset.select(val)
    assert len(chosen) == 6 and {s.label for s in chosen.samples} == {0, 1, 2}
    assert stems(chosen) == stems(subset.select(p)) == stems(Subset(per_class=2, seed=3).select(val))
    assert stems(chosen) != stems(Subset(per_class=2, seed=4).select(val))
    assert len(Subset(per_class=100).select(val)) == 18


def test_file_list_by_path_or_name(tree):
    ids = tree / "ids.txt"
    ids.write_text("n01/ILSVRC2012_val_n01000.JPEG\nILSVRC2012_val_n02005.JPEG\n# comment\nn03/gone.JPEG\n")
    subset = Subset.from_list(ids)
    for folder in (clean_folder(tree / "val", CLASSES), scan_folder(tree / "p", CLASSES, VIDEO_EXTENSIONS)):
        chosen = subset.select(folder)
        assert stems(chosen) == {"n01/ILSVRC2012_val_n01000", "n02/ILSVRC2012_val_n02005"}
        assert chosen.problems == {"n03/gone.JPEG": "missing: listed in the subset, not in the folder"}
    assert Subset.from_dict(subset.to_dict()) == subset and len(subset.to_dict()["list_sha256"]) == 64


def test_problems_outside_the_subset_do_not_count(tree):
    (tree / "val" / "n01" / "ILSVRC2012_val_n01004.JPEG").write_bytes(b"")
    folder = clean_folder(tree / "val", CLASSES)
    assert list(folder.problems) == ["n01/ILSVRC2012_val_n01004.JPEG"]
    ids = tree / "ids.txt"
    ids.write_text("n01/ILSVRC2012_val_n01000.JPEG\n")
    assert Subset.from_list(ids).select(folder).problems == {}
    ids.write_text("n01/ILSVRC2012_val_n01004.JPEG\n")
    assert Subset.from_list(ids).select(folder).problems == {"n01/ILSVRC2012_val_n01004.JPEG": "unreadable: empty file"}


def test_bad_subsets(tree):
    with pytest.raises(InvalidInputError):
        Subset()
    with pytest.raises(InvalidInputError):
        Subset(per_class=0)
    assert Subset.parse("5") == Subset(per_class=5)
    with pytest.raises(DatasetError, match="cannot read the subset file list"):
        Subset.parse(str(tree / "nope.txt"))
    empty = tree / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(DatasetError, match="empty"):
        Subset.from_list(empty).select(clean_folder(tree / "val", CLASSES))
