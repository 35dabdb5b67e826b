"""Datasets and suites: anyone may read suites; registering data and suites needs an admin token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from service.api.deps import AdminDep, SessionDep, SettingsDep
from service.catalog import SuiteRequest, add_dataset, add_suite, get_suite, set_baseline
from service.db import write_session
from service.lifecycle import Outbox
from service.models import DatasetKind
from service.queries import dataset_summary, find_suite, list_datasets, list_suites, suite_summary

router = APIRouter(tags=["datasets and suites"])


class DatasetRequest(BaseModel):
    kind: DatasetKind
    name: str
    path: str  # as the workers see it (and this API process, which scans it)


class BaselineRequest(BaseModel):
    evaluation: int | None  # None: back to the published table (standard ImageNet-C) or raw values


@router.get("/datasets")
def get_datasets(session: SessionDep, _: AdminDep) -> list[dict[str, Any]]:
    return list_datasets(session)


@router.post("/datasets", status_code=201)
def post_dataset(request: DatasetRequest, _: AdminDep, settings: SettingsDep) -> dict[str, Any]:
    """Scans the folder and records its manifest (files, sizes, hash)."""
    with write_session(settings) as session:
        return dataset_summary(add_dataset(session, request.kind, request.name, request.path))


@router.get("/suites")
def get_suites(session: SessionDep) -> list[dict[str, Any]]:
    return list_suites(session)


@router.get("/suites/{name}")
def get_suite_detail(name: str, session: SessionDep) -> dict[str, Any]:
    suite = find_suite(session, name)
    if suite is None:
        raise HTTPException(404, f"no suite named {name!r}")
    return suite_summary(suite)


@router.post("/suites", status_code=201)
def post_suite(request: SuiteRequest, _: AdminDep, settings: SettingsDep) -> dict[str, Any]:
    with write_session(settings) as session:
        return suite_summary(add_suite(session, request))


@router.put("/suites/{name}/baseline")
def put_baseline(name: str, request: BaselineRequest, _: AdminDep, settings: SettingsDep) -> dict[str, Any]:
    """Changes the suite's baseline; its finished evaluations are finalised again from their stored counts."""
    outbox = Outbox()
    with write_session(settings) as session:
        suite = get_suite(session, name)
        outbox.finalise += set_baseline(session, suite, request.evaluation)
        summary = suite_summary(suite)
    outbox.send(settings)
    return {**summary, "refinalising": outbox.finalise}
