"""A received upload becomes a submission: metadata and quota, sandboxed conversion of pickles, the header and
the architecture check, content-addressed storage, deduplication, then one evaluation per suite.

Every refusal happens before anything is stored; the caller deletes the upload file in any case.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evaluators.errors import CheckpointError, CpbenchError
from evaluators.models import ModelInfo, check_state_dict, model_info
from service.catalog import get_suite
from service.db import session_scope, write_session
from service.intake.errors import IntakeError
from service.intake.filetype import SAFETENSORS
from service.intake.safetensors_header import read_header
from service.intake.sandbox import convert_pickle
from service.intake.upload import Upload
from service.lifecycle import Outbox, create_evaluation
from service.models import Evaluation, EvaluationStatus, Submission, Suite, User, utcnow
from service.preprocessing import PreprocessingIn, canonical_preprocessing
from service.settings import Settings
from service.storage import WeightsStore

NUM_CLASSES = 1000


class SubmissionMetadata(BaseModel):
    """The `metadata` part of POST /submissions."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    model: str = Field(min_length=1, max_length=100)
    preprocessing: PreprocessingIn | None = None
    public: bool = False
    suites: list[str] = Field(min_length=1, max_length=50)


@dataclass(frozen=True)
class Accepted:
    submission_id: int
    created: bool  # False: an identical earlier submission of this user was returned
    evaluation_ids: list[int]


def parse_metadata(raw: bytes) -> SubmissionMetadata:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IntakeError(400, f"metadata is not JSON ({error})") from None
    try:
        return SubmissionMetadata.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'metadata'}: {e['msg']}" for e in error.errors())
        raise IntakeError(422, f"invalid metadata: {problems}") from None


def early_check(raw: bytes) -> None:
    """What can be refused from the metadata alone, before the weights arrive: no database access here,
    since it runs inside the upload stream."""
    metadata = parse_metadata(raw)
    try:
        canonical_preprocessing(model_info(metadata.model), metadata.preprocessing)
    except CpbenchError as error:
        raise IntakeError(422, str(error)) from None


def quota_used(session: Session, user: User) -> int:
    """Evaluations of the last 24 h that count: running or queued ones, finished ones, and ones cancelled after
    they started. Failed evaluations are refunded (service_lessons.md c6)."""
    since = utcnow() - timedelta(days=1)
    counted = or_(Evaluation.status.in_((EvaluationStatus.queued, EvaluationStatus.running,
                                         EvaluationStatus.finished)),
                  (Evaluation.status == EvaluationStatus.cancelled) & Evaluation.started_at.is_not(None))
    return session.scalar(select(func.count()).select_from(Evaluation).join(Submission)
                          .where(Submission.owner_id == user.id, Evaluation.created_at >= since, counted)) or 0


def _check_quota(session: Session, user: User, new: int, settings: Settings) -> None:
    if user.is_admin or new == 0:
        return
    used = quota_used(session, user)
    if used + new > settings.submissions_per_day:
        raise IntakeError(429, f"quota: {used} of {settings.submissions_per_day} evaluations used in the last 24 h "
                               f"(failed ones are not counted); this submission needs {new} more")


def _suites(session: Session, names: list[str]) -> list[Suite]:
    try:
        return [get_suite(session, name) for name in dict.fromkeys(names)]
    except CpbenchError as error:
        raise IntakeError(422, str(error)) from None


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _canonical_weights(upload: Upload, settings: Settings) -> tuple[Path, str, dict[str, str]]:
    """(safetensors file, its sha256, header metadata): the upload itself, or its sandboxed conversion."""
    if upload.format == SAFETENSORS:
        return upload.path, upload.sha256, {}
    converted = upload.path.with_name(upload.path.name + ".safetensors")
    try:
        metadata = convert_pickle(upload.path, converted, settings)
    except IntakeError as error:
        raise IntakeError(error.status, error.message.replace(upload.path.name, upload.filename)) from None
    return converted, _sha256(converted), metadata


def accept(upload: Upload, user_id: int, settings: Settings) -> Accepted:
    metadata = parse_metadata(upload.metadata)
    try:
        info = model_info(metadata.model)
        preprocessing = canonical_preprocessing(info, metadata.preprocessing)
    except CpbenchError as error:
        raise IntakeError(422, str(error)) from None
    with session_scope(settings) as session:
        _suites(session, metadata.suites)
    weights, weights_sha256, converted_metadata = _canonical_weights(upload, settings)
    try:
        header = read_header(weights)
        check_state_dict(info.name, header.tensors, num_classes=NUM_CLASSES,
                         arch=header.metadata.get("arch") or converted_metadata.get("arch"))
    except CheckpointError as error:
        raise IntakeError(422, str(error)) from None
    finally:
        if weights != upload.path:
            upload.path.unlink(missing_ok=True)  # the pickle itself is never kept
    try:
        return _record(upload, metadata, info, preprocessing, weights, weights_sha256, user_id, settings)
    finally:
        weights.unlink(missing_ok=True)


def _record(upload: Upload, metadata: SubmissionMetadata, info: ModelInfo, preprocessing: dict[str, Any],
            weights: Path, weights_sha256: str, user_id: int, settings: Settings) -> Accepted:
    outbox = Outbox()
    with write_session(settings) as session:
        user = session.get(User, user_id)
        assert user is not None
        suites = _suites(session, metadata.suites)
        existing = session.scalars(select(Submission).where(
            Submission.owner_id == user_id, Submission.weights_sha256 == weights_sha256,
            Submission.model == info.name)).all()
        submission = next((s for s in existing if s.preprocessing == preprocessing), None)
        created = submission is None
        evaluated = set() if submission is None else set(session.scalars(
            select(Evaluation.suite_id).where(Evaluation.submission_id == submission.id)))
        new = [suite for suite in suites if suite.id not in evaluated]
        _check_quota(session, user, len(new), settings)  # before anything is stored
        if submission is None:
            assert settings.storage_dir is not None
            stored = WeightsStore(settings.storage_dir).put(weights, weights_sha256)
            submission = Submission(owner_id=user_id, name=metadata.name, model=info.name, pooling=info.pooling,
                                    preprocessing=preprocessing, public=metadata.public,
                                    upload_sha256=upload.sha256, upload_bytes=upload.size,
                                    upload_format=upload.format, weights_sha256=weights_sha256,
                                    weights_path=str(stored))
            session.add(submission)
            session.flush()
        for suite in new:
            create_evaluation(session, submission, suite, outbox)
        evaluation_ids = list(session.scalars(select(Evaluation.id).where(Evaluation.submission_id == submission.id)
                                              .order_by(Evaluation.id)))
        submission_id = submission.id
    outbox.send(settings)
    return Accepted(submission_id, created, evaluation_ids)
