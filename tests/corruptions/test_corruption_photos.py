"""All 19 corruptions × 5 severities on real photos (the `photo224` fixture): shape, dtype, range of
effect, and determinism under a seed."""

import numpy as np
import pytest

from evaluators.corruptions import ALL_CORRUPTIONS, SEVERITIES, corrupt
from evaluators.seeding import derive_seed


@pytest.mark.parametrize("name", ALL_CORRUPTIONS)
def test_every_severity_on_every_photo(name: str, photo224: dict, frost_dir) -> None:
    for index, (photo_name, photo) in enumerate(sorted(photo224.items())):
        changed = []
        for severity in SEVERITIES:
            seed = derive_seed(0, name, severity, photo_name)
            out = corrupt(photo, name, severity, seed=seed, frost_dir=frost_dir)
            assert out.dtype == np.uint8 and out.shape == photo.shape
            changed.append(float(np.abs(out.astype(int) - photo).mean()))
            if severity == 1 + index % 5:  # one severity per photo: the same seed gives the same bytes
                assert np.array_equal(out, corrupt(photo, name, severity, seed=seed, frost_dir=frost_dir))
        # spatter's water can miss a photo at low severity; everything else changes it at every severity.
        assert all(mad > 0 for mad in (changed[3:] if name == "spatter" else changed)), (photo_name, changed)
