"""Where the frost textures come from: explicit folder, then $CPBENCH_FROST_DIR, then an installed
distribution that ships them (found through its metadata, never imported), else a MissingAssetError that
says how to get them. The textures are the conformance set's, linked into temporary folders."""

import sys
from pathlib import Path

import numpy as np
import pytest

from evaluators.corruptions import FROST_FILES, corrupt, frost_textures, resolve_frost_dir
from evaluators.corruptions import frost as frost_module
from evaluators.errors import MissingAssetError

FAKE_DIST = "cpbench-test-frost-dist"  # never a real distribution


def _texture_folder(frost_dir: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in FROST_FILES:
        (folder / name).symlink_to(frost_dir / name)
    return folder


@pytest.fixture
def no_installed_textures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever is installed here, only the fake distribution counts; no env var."""
    monkeypatch.delenv(frost_module.FROST_ENV, raising=False)
    monkeypatch.setattr(frost_module, "FROST_DISTRIBUTIONS", ((FAKE_DIST, "fake_frost_pkg/frost"),))


@pytest.fixture
def fake_distribution(tmp_path: Path, frost_dir: Path, monkeypatch: pytest.MonkeyPatch,
                      no_installed_textures: None) -> Path:
    """A dist-info on sys.path whose RECORD lists the textures, as a wheel install would leave it."""
    site = tmp_path / "site"
    textures = _texture_folder(frost_dir, site / "fake_frost_pkg" / "frost")
    (site / "fake_frost_pkg" / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    dist_info = site / f"{FAKE_DIST.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {FAKE_DIST}\nVersion: 1.0\n")
    records = ["fake_frost_pkg/__init__.py,,", *(f"fake_frost_pkg/frost/{name},," for name in FROST_FILES)]
    (dist_info / "RECORD").write_text("\n".join(records) + "\n")
    monkeypatch.syspath_prepend(str(site))
    return textures


def test_installed_distribution_is_found_without_importing_it(fake_distribution: Path) -> None:
    assert resolve_frost_dir() == fake_distribution.resolve()
    assert "fake_frost_pkg" not in sys.modules


def test_env_var_wins_over_an_installed_distribution(fake_distribution: Path, frost_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    env_folder = _texture_folder(frost_dir, tmp_path / "from_env")
    monkeypatch.setenv(frost_module.FROST_ENV, str(env_folder))
    assert resolve_frost_dir() == env_folder.resolve()


def test_explicit_folder_wins_over_env_var(frost_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           no_installed_textures: None) -> None:
    monkeypatch.setenv(frost_module.FROST_ENV, str(_texture_folder(frost_dir, tmp_path / "from_env")))
    explicit = _texture_folder(frost_dir, tmp_path / "explicit")
    assert resolve_frost_dir(explicit) == explicit.resolve()
    assert resolve_frost_dir(str(explicit)) == explicit.resolve()


def test_nothing_found_says_how_to_get_them(no_installed_textures: None) -> None:
    with pytest.raises(MissingAssetError) as info:
        resolve_frost_dir()
    message = str(info.value)
    assert "pip install imagecorruptions" in message and "CPBENCH_FROST_DIR" in message
    assert "frost5.jpg" in message
    image = np.zeros((224, 224, 3), dtype=np.uint8)
    with pytest.raises(MissingAssetError):
        corrupt(image, "frost", 1, seed=0)


def test_incomplete_folders_are_errors_not_skipped(frost_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   no_installed_textures: None) -> None:
    partial = _texture_folder(frost_dir, tmp_path / "partial")
    (partial / "frost3.png").unlink()
    with pytest.raises(MissingAssetError, match=r"frost3\.png"):
        resolve_frost_dir(partial)
    monkeypatch.setenv(frost_module.FROST_ENV, str(partial))
    with pytest.raises(MissingAssetError, match="CPBENCH_FROST_DIR"):
        resolve_frost_dir()


def test_textures_are_rgb_and_frost6_is_not_needed(frost_dir: Path, tmp_path: Path) -> None:
    folder = _texture_folder(frost_dir, tmp_path / "five")  # frost6.jpg absent
    textures = frost_textures(folder)
    assert len(textures) == 5
    shapes = [t.shape for t in textures]
    assert shapes == [(600, 900, 3), (315, 560, 3), (315, 560, 3), (350, 527, 3), (495, 660, 3)]
    assert all(t.dtype == np.uint8 and not t.flags.writeable for t in textures)
    assert frost_textures(folder) is textures  # read once
