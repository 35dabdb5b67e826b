"""A submission's preprocessing: the model's default with what the submitter declared on top, stored as a
plain dict (part of the dedupe key and of the provenance) and turned back into the library's object to run."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from evaluators.data.preprocessing import Preprocessing
from evaluators.models import ModelInfo


class PreprocessingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mean: list[float] | None = None
    std: list[float] | None = None
    resize: int | None = None
    crop: int | None = None


def preprocessing_from_dict(data: dict[str, Any]) -> Preprocessing:
    """The library validates the values (InvalidInputError)."""
    return Preprocessing(mean=tuple(map(float, data["mean"])), std=tuple(map(float, data["std"])),
                         resize=int(data["resize"]), crop=int(data["crop"]))


def canonical_preprocessing(info: ModelInfo, declared: PreprocessingIn | None) -> dict[str, Any]:
    merged = info.preprocessing.to_dict() | (declared.model_dump(exclude_none=True) if declared else {})
    return preprocessing_from_dict(merged).to_dict()
