"""Datasets and suites: what an admin registers, checked against what the data folder really holds.

A dataset's manifest is built with the library's folder scan and `Manifest`, so it names exactly the files a
shard run will see; its contents (corruptions x severities, perturbations x difficulties) let a suite be
checked before any work is queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluators.benchmarks import (
    ALL_CORRUPTIONS,
    ALL_PERTURBATIONS,
    CORRUPTIONS,
    DIFFICULTIES,
    EXTRA_CORRUPTIONS,
    PERTURBATIONS,
    PRECISIONS,
    SEVERITIES,
    covers_the_benchmark,
    perturbation_folder,
)
from evaluators.data.classes import ClassList
from evaluators.data.folders import Folder, clean_folder, imagenet_c_folder, imagenet_p_folder
from evaluators.data.manifest import Manifest
from evaluators.data.subsets import Subset
from evaluators.errors import DatasetError, InvalidInputError, UnknownNameError
from service.models import Dataset, DatasetKind, Evaluation, EvaluationStatus, Suite, SuiteKind


class ConflictError(InvalidInputError):
    """A name that is already taken (409 at the API)."""


@dataclass(frozen=True)
class ScannedDataset:
    manifest: Manifest
    contents: dict[str, Any]
    classes: int
    problems: int


def scan_dataset(kind: DatasetKind, path: str | Path) -> ScannedDataset:
    """Every usable file of a dataset folder, as the runner will see it, and what the folder holds."""
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"{root}: folder does not exist")
    classes = ClassList.imagenet()
    folders: list[Folder] = []
    contents: dict[str, Any] = {}
    if kind == DatasetKind.imagenet_val:
        folders.append(clean_folder(root, classes))
    elif kind == DatasetKind.imagenet_c:
        found = {c: [s for s in SEVERITIES if (root / c / str(s)).is_dir()] for c in ALL_CORRUPTIONS}
        contents["corruptions"] = {c: s for c, s in found.items() if s}
        folders += [imagenet_c_folder(root, c, s, classes) for c, ss in contents["corruptions"].items() for s in ss]
    else:
        found = {p: [d for d in DIFFICULTIES if (root / perturbation_folder(p, d)).is_dir()] for p in ALL_PERTURBATIONS}
        contents["perturbations"] = {p: d for p, d in found.items() if d}
        folders += [imagenet_p_folder(root, p, d, classes) for p, ds in contents["perturbations"].items() for d in ds]
    if not folders:
        layout = "<corruption>/<severity>/<wnid>/" if kind == DatasetKind.imagenet_c else "<perturbation>/<wnid>/"
        raise DatasetError(f"{root}: no {kind} folders found (expected {layout}*)")
    manifest = Manifest.build((f.prefix + s.relpath, s.size) for f in folders for s in f.samples)
    labels = {s.label for f in folders for s in f.samples}
    return ScannedDataset(manifest, contents, len(labels), sum(len(f.problems) for f in folders))


def add_dataset(session: Session, kind: str, name: str, path: str) -> Dataset:
    try:
        kind_ = DatasetKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in DatasetKind)
        raise UnknownNameError(f"unknown dataset kind {kind!r}; use {kinds}") from None
    if session.scalar(select(Dataset.id).where(Dataset.name == name)) is not None:
        raise ConflictError(f"a dataset named {name!r} exists already")
    scanned = scan_dataset(kind_, path)
    contents = {**scanned.contents, "problems": scanned.problems, "bytes": scanned.manifest.total_bytes}
    dataset = Dataset(name=name, kind=kind_, path=str(Path(path).resolve()), manifest_sha256=scanned.manifest.sha256,
                      files=scanned.manifest.files, classes=scanned.classes, contents=contents)
    session.add(dataset)
    session.flush()
    return dataset


class SuiteRequest(BaseModel):
    """A suite as an admin describes it (CLI flags or the JSON body of POST /suites)."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: SuiteKind
    dataset: str
    clean_dataset: str | None = None
    corruptions: list[str] | None = None  # default: the 15 benchmark corruptions
    extras: bool = False  # add the 4 extra corruptions
    severities: list[int] = Field(default_factory=lambda: list(SEVERITIES))
    perturbations: list[str] | None = None  # default: the 10 test perturbations
    difficulties: list[int] = Field(default_factory=lambda: [1])
    subset: str | None = None  # N images per class, or the path of a file list the workers can read
    seed: int = 0  # on-the-fly corruption seed
    jpeg_quality: int | None = 85  # on-the-fly: the release's JPEG round trip (None: none)
    precision: str = "fp32"
    protocol_version: str = "1"
    allow_missing: bool = False


def _names(given: Sequence[str] | None, default: Sequence[str], known: Sequence[str], what: str) -> list[str]:
    names = list(dict.fromkeys(given or default))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownNameError(f"unknown {what} {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def _dataset(session: Session, name: str, kind: DatasetKind) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.name == name))
    if dataset is None:
        raise UnknownNameError(f"no dataset named {name!r}")
    if dataset.kind != kind:
        raise InvalidInputError(f"dataset {name!r} is {dataset.kind}, this suite needs {kind}")
    return dataset


def add_suite(session: Session, request: SuiteRequest) -> Suite:
    if session.scalar(select(Suite.id).where(Suite.name == request.name)) is not None:
        raise ConflictError(f"a suite named {request.name!r} exists already")
    if request.precision not in PRECISIONS:
        raise InvalidInputError(f"unknown precision {request.precision!r}; use {', '.join(PRECISIONS)}")
    subset = Subset.parse(request.subset) if request.subset else None
    options: dict[str, Any] = {"subset": None if subset is None else subset.to_dict(),
                               "allow_missing": request.allow_missing}
    clean: Dataset | None = None
    if request.kind == SuiteKind.imagenet_p:
        dataset = _dataset(session, request.dataset, DatasetKind.imagenet_p)
        perturbations = _names(request.perturbations, PERTURBATIONS, ALL_PERTURBATIONS, "perturbation")
        bad = [d for d in request.difficulties if d not in DIFFICULTIES]
        if bad or not request.difficulties:
            raise InvalidInputError(f"difficulties must be among {list(DIFFICULTIES)}, got {request.difficulties}")
        held = dataset.contents.get("perturbations", {})
        absent = [f"{p} (difficulty {d})" for p in perturbations for d in request.difficulties
                  if d not in held.get(p, [])]
        if absent:
            raise DatasetError(f"dataset {dataset.name!r} has no folder for {', '.join(absent)}")
        options |= {"perturbations": perturbations, "difficulties": sorted(set(request.difficulties))}
    else:
        corruptions = _names(request.corruptions, CORRUPTIONS, ALL_CORRUPTIONS, "corruption")
        if request.extras:
            corruptions += [c for c in EXTRA_CORRUPTIONS if c not in corruptions]
        severities = sorted(set(request.severities))
        if not severities or any(s not in SEVERITIES for s in severities):
            raise InvalidInputError(f"severities must be among 1-5, got {request.severities}")
        options |= {"corruptions": corruptions, "severities": severities}
        if request.kind == SuiteKind.imagenet_c:
            dataset = _dataset(session, request.dataset, DatasetKind.imagenet_c)
            held = dataset.contents.get("corruptions", {})
            absent = [f"{c}/{s}" for c in corruptions for s in severities if s not in held.get(c, [])]
            if absent:
                shown = ", ".join(absent[:10]) + (f" and {len(absent) - 10} more" if len(absent) > 10 else "")
                raise DatasetError(f"dataset {dataset.name!r} has no folder for {shown}")
            if request.clean_dataset:
                clean = _dataset(session, request.clean_dataset, DatasetKind.imagenet_val)
        else:
            dataset = _dataset(session, request.dataset, DatasetKind.imagenet_val)
            clean = dataset
            if request.jpeg_quality is not None and not 1 <= request.jpeg_quality <= 100:
                raise InvalidInputError(f"JPEG quality must be 1-100, got {request.jpeg_quality}")
            options |= {"seed": request.seed, "jpeg_quality": request.jpeg_quality}
    suite = Suite(name=request.name, kind=request.kind, dataset_id=dataset.id,
                  clean_dataset_id=None if clean is None else clean.id, options=options,
                  precision=request.precision, protocol_version=request.protocol_version)
    session.add(suite)
    session.flush()
    return suite


def get_suite(session: Session, name: str) -> Suite:
    suite = session.scalar(select(Suite).where(Suite.name == name))
    if suite is None:
        raise UnknownNameError(f"no suite named {name!r}")
    return suite


def set_baseline(session: Session, suite: Suite, evaluation_id: int | None) -> list[int]:
    """Makes an evaluation on this suite its normalising baseline (None: back to the published table or raw
    values). Returns the finished evaluations to finalise again from their stored counts."""
    if evaluation_id is not None:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None or evaluation.suite_id != suite.id:
            raise InvalidInputError(f"evaluation {evaluation_id} is not an evaluation on suite {suite.name!r}")
    suite.baseline_evaluation_id = evaluation_id
    suite.baseline_version += 1
    return list(session.scalars(select(Evaluation.id).where(Evaluation.suite_id == suite.id,
                                                            Evaluation.status == EvaluationStatus.finished)))


def published_baseline_applies(suite: Suite) -> bool:
    """The published AlexNet table normalises only the released ImageNet-C: every benchmark corruption at every
    severity, all images. The service takes the registered dataset for the release (the runner, which sees the
    files, also checks their number)."""
    options = suite.options
    return (suite.kind == SuiteKind.imagenet_c and options.get("subset") is None
            and covers_the_benchmark((c, s) for c in options.get("corruptions", ())
                                     for s in options.get("severities", ())))
