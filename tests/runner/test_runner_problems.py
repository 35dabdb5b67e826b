"""Missing, unreadable and mislabeled files: one DatasetError that lists them all, or, with allow_missing,
skipped and recorded; subsets select the same images in every folder."""

from __future__ import annotations

import shutil

import pytest

from evaluators.data import Subset
from evaluators.errors import DatasetError
from evaluators.runner import CleanShard, CorruptionShard, PerturbationShard, run_shard


@pytest.fixture
def damaged(tmp_path, datasets):
    """A copy of one severity folder with a truncated JPEG, an empty file, a PNG under a .JPEG name (readable,
    as PIL reads it) and a folder whose wnid is not one of the model's classes."""
    root = tmp_path / "c"
    folder = root / "fog" / "1"
    shutil.copytree(datasets["c"] / "brightness" / "1", folder)
    files = sorted(folder.glob("*/*.JPEG"))
    files[0].write_bytes(files[0].read_bytes()[:600])
    files[2].write_bytes(b"")  # of another class: every class keeps a file, as the reference loop needs
    stranger = folder / "n01440764"
    stranger.mkdir()
    shutil.copy(files[4], stranger / "tench.JPEG")
    return root, [f"{p.parent.name}/{p.name}" for p in (files[0], files[2])]


def fog(root):
    return CorruptionShard(root=str(root), corruption="fog", severity=1)


def test_problems_found_by_the_scan_fail_before_any_compute(damaged, classes, tiny):
    root, (_, empty) = damaged
    with pytest.raises(DatasetError) as error:
        run_shard(tiny, fog(root), classes=classes)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{root / 'fog' / '1'}: 2 file(s) cannot be used")
    assert "n01440764/tench.JPEG (folder 'n01440764' is not one of the model's 8 classes)" in message
    assert f"{empty} (unreadable: empty file)" in message


def test_undecodable_files_are_listed_after_the_pass(damaged, classes, tiny):
    root, (truncated, empty) = damaged
    shutil.rmtree(root / "fog" / "1" / "n01440764")
    (root / "fog" / "1" / empty).unlink()
    with pytest.raises(DatasetError, match=f"1 file\\(s\\) cannot be used: {truncated} \\(unreadable: .*truncated"):
        run_shard(tiny, fog(root), classes=classes)


def test_allow_missing_skips_and_records(damaged, classes, tiny, reference):
    root, (truncated, empty) = damaged
    result = run_shard(tiny, fog(root), classes=classes, allow_missing=True)
    assert set(result.skipped) == {truncated, empty, "n01440764/tench.JPEG"}
    assert result.counts.images == 16 - 2 == result.manifest.files
    assert all(path not in dict(result.manifest.entries) for path in (f"fog/1/{truncated}", f"fog/1/{empty}"))
    # the same as the reference loop on the folder without them
    shutil.rmtree(root / "fog" / "1" / "n01440764")
    for name in (truncated, empty):
        (root / "fog" / "1" / name).unlink()
    assert result.counts == reference["topk"](tiny, root / "fog" / "1")


def test_subset_per_class_is_the_same_images_everywhere(datasets, classes, tiny):
    subset = Subset(per_class=1, seed=5)
    shards = [CorruptionShard(root=str(datasets["c"]), corruption=c, severity=s, subset=subset)
              for c, s in (("gaussian_noise", 1), ("brightness", 4))]
    shards.append(CleanShard(root=str(datasets["val"]), subset=subset))
    results = [run_shard(tiny, shard, classes=classes) for shard in shards]
    chosen = [{path.split("/", 2)[-1] if i < 2 else path for path, _ in r.manifest.entries}
              for i, r in enumerate(results)]
    assert chosen[0] == chosen[1] == chosen[2] and len(chosen[0]) == 8
    assert all(r.counts.images == 8 for r in results)
    again = run_shard(tiny, shards[0], classes=classes)
    assert again.manifest == results[0].manifest


def test_subset_file_list_with_missing_entries(tmp_path, datasets, classes, tiny):
    files = sorted((datasets["c"] / "gaussian_noise" / "2").glob("*/*.JPEG"))
    listed = [f"{p.parent.name}/{p.name}" for p in files[:5]] + ["n02123045/not_there.JPEG"]
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(listed) + "\n")
    shard = CorruptionShard(root=str(datasets["c"]), corruption="gaussian_noise", severity=2,
                            subset=Subset.from_list(ids))
    with pytest.raises(DatasetError, match=r"n02123045/not_there\.JPEG \(missing: listed in the subset"):
        run_shard(tiny, shard, classes=classes)
    result = run_shard(tiny, shard, classes=classes, allow_missing=True)
    assert result.counts.images == 5 and list(result.skipped) == ["n02123045/not_there.JPEG"]
    # the same list selects the clips of the same images in ImageNet-P (by file stem)
    p_ids = tmp_path / "p_ids.txt"
    p_ids.write_text("\n".join(sorted(p.stem for p in (datasets["p"] / "translate").glob("*/*.mp4"))[:3]))
    p_result = run_shard(tiny, PerturbationShard(root=str(datasets["p"]), perturbation="translate",
                                                 subset=Subset.from_list(p_ids)), classes=classes)
    assert p_result.counts.sequences == 3
    ids.write_text("changed\n")
    with pytest.raises(DatasetError, match="changed since"):
        run_shard(tiny, shard, classes=classes)
