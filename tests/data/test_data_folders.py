"""Folder scans and class lists: labels are indices in the model's class list; files that cannot be labelled
or are empty are reported, not dropped; the layouts of ImageNet-C, -P and val."""

from __future__ import annotations

import pytest

from evaluators.data import ClassList, clean_folder, imagenet_c_folder, imagenet_p_folder, scan_folder
from evaluators.errors import DatasetError, InvalidInputError

IMAGENET = ClassList.imagenet()


def touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_imagenet_class_list():
    assert len(IMAGENET) == 1000 and IMAGENET.wnids == tuple(sorted(IMAGENET.wnids))
    assert IMAGENET.label("n01440764") == 0 and IMAGENET.label("n15075141") == 999 and IMAGENET.is_imagenet_1k
    assert IMAGENET.label("n00000000") is None


def test_labels_come_from_the_class_list_not_the_folders_present(tmp_path):
    touch(tmp_path / "n15075141" / "b.JPEG")
    touch(tmp_path / "n01443537" / "sub" / "a.jpeg")  # nested, like ImageFolder
    touch(tmp_path / "n01443537" / "notes.txt")  # not an image: ignored, like ImageFolder
    touch(tmp_path / ".hidden" / "c.JPEG")
    folder = clean_folder(tmp_path, IMAGENET)
    assert [(s.relpath, s.label, s.size) for s in folder.samples] == [
        ("n01443537/sub/a.jpeg", 1, 1), ("n15075141/b.JPEG", 999, 1)]
    assert folder.problems == {}
    custom = ClassList(("n15075141", "n01443537"))
    assert [s.label for s in clean_folder(tmp_path, custom).samples] == [1, 0]


def test_unlabelled_and_empty_files_are_problems(tmp_path):
    touch(tmp_path / "n01443537" / "ok.JPEG")
    touch(tmp_path / "n01443537" / "empty.JPEG", b"")
    touch(tmp_path / "cats" / "tabby.JPEG")
    touch(tmp_path / "loose.JPEG")
    folder = scan_folder(tmp_path, IMAGENET)
    assert [s.relpath for s in folder.samples] == ["n01443537/ok.JPEG"]
    assert folder.problems == {
        "n01443537/empty.JPEG": "unreadable: empty file",
        "cats/tabby.JPEG": "folder 'cats' is not one of the model's 1000 classes",
        "loose.JPEG": "not inside a class folder",
    }


def test_layouts(tmp_path):
    touch(tmp_path / "c" / "fog" / "3" / "n01443537" / "x.JPEG")
    touch(tmp_path / "p" / "shot_noise_2" / "n01443537" / "x.mp4")
    touch(tmp_path / "p" / "rotate" / "n01443537" / "x.mp4")
    assert imagenet_c_folder(tmp_path / "c", "fog", 3, IMAGENET).prefix == "fog/3/"
    assert imagenet_p_folder(tmp_path / "p", "shot_noise", 2, IMAGENET).prefix == "shot_noise_2/"
    assert imagenet_p_folder(tmp_path / "p", "rotate", 2, IMAGENET).prefix == "rotate/"  # difficulty = step
    with pytest.raises(DatasetError, match="fog/4: folder does not exist"):
        imagenet_c_folder(tmp_path / "c", "fog", 4, IMAGENET)
    with pytest.raises(DatasetError, match="no mp4 files found"):
        imagenet_p_folder(tmp_path / "c", "fog", 1, IMAGENET)


def test_class_list_files(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("# my model\nn02\nn01  # second output\n\n")
    classes = ClassList.from_file(path)
    assert classes.wnids == ("n02", "n01") and classes.label("n01") == 1 and not classes.is_imagenet_1k
    assert classes.to_dict()["classes"] == 2 and classes.sha256 != IMAGENET.sha256
    path.write_text("n01\nn02\nn01\n")
    with pytest.raises(InvalidInputError, match="n01 more than once"):
        ClassList.from_file(path)
    with pytest.raises(DatasetError, match="cannot read the class list"):
        ClassList.from_file(tmp_path / "missing.txt")
