"""The documents of an evaluation — its API detail, its results and its page — rendered by one set of functions,
and, once it has finished, stored and served as stored.

Rendering one costs 5-10 ms of Python (77 shard rows, charts, the template), which held a process to some 150
reads per second of evaluations the read cache did not hold. A finished evaluation rarely changes, so
`finalise` stores its three documents, gzip-compressed, in the transaction that finishes it, and a read costs
one indexed query; clients that accept gzip (every browser) get the stored bytes as they are.

A stored document is served only while it is current, which the same query checks, never assumes:
- it names the revisions of the rows it was rendered from — the evaluation, its submission and its suite —
  and each of those rows moves its revision on every UPDATE (`models.revision_column`);
- it names its renderer, a digest of the code and templates that render it, so an upgrade retires it;
- the rest of what it shows does not change while the evaluation is finished: its shards (a rerun, which
  reopens them, updates the evaluation in the same transaction), the owner's and the datasets' names (never
  updated).
Anything else — a missing or stale document, an evaluation that has not finished — is rendered live by the same
functions, so both paths give the same bytes. Finalising again after a baseline change rewrites the documents;
`refresh_stale` (run by the beat) renders those an upgrade left stale.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import Select, and_, bindparam, delete, insert, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

import evaluators
import service
from service.db import session_scope, write_session
from service.lifecycle import lock_evaluation
from service.models import (
    ACTIVE_EVALUATION,
    Evaluation,
    EvaluationDocument,
    EvaluationStatus,
    Submission,
    Suite,
    utcnow,
)
from service.queries import Viewer, evaluation_detail, evaluation_results, visible
from service.read_cache import CACHE, cached
from service.settings import Settings
from service.web.breakdown import corruption_table, evaluation_charts, perturbation_rows
from service.web.templates import render

REFRESH_S = 5  # how often a page of an evaluation that is still running reloads itself
# What a document shows does not depend on who asks, only whether they may see it: stored documents are
# rendered as an admin sees them and served to those `visible` lets in.
RENDERING_VIEWER = Viewer(is_admin=True)
VARY = {"Vary": "Accept-Encoding"}


def detail(session: Session, evaluation_id: int, viewer: Viewer) -> bytes | None:
    found = evaluation_detail(session, evaluation_id, viewer)
    return None if found is None else bytes(JSONResponse(found).body)


def results(session: Session, evaluation_id: int, viewer: Viewer) -> bytes | None:
    found = evaluation_results(session, evaluation_id, viewer)
    return None if found is None else bytes(JSONResponse(found).body)


def page(session: Session, evaluation_id: int, viewer: Viewer) -> bytes | None:
    """The evaluation page: status and live progress, metrics, the per-corruption x severity (or
    per-perturbation) breakdown with its charts, the suite's protocol and baseline, and provenance."""
    found, rows = evaluation_detail(session, evaluation_id, viewer), evaluation_results(session, evaluation_id, viewer)
    if found is None or rows is None:
        return None
    return render("evaluation.html", {
        "e": found, "results": rows, "live": found["status"] in ACTIVE_EVALUATION, "refresh_s": REFRESH_S,
        "corruptions": corruption_table(rows["rows"]), "perturbations": perturbation_rows(rows["rows"]),
        "charts": evaluation_charts(rows["rows"])}).encode()


Renderer = Callable[[Session, int, Viewer], bytes | None]
DOCUMENTS: dict[str, tuple[Renderer, str]] = {
    "detail": (detail, "application/json"),
    "results": (results, "application/json"),
    "page": (page, "text/html; charset=utf-8"),
}


@cache
def renderer() -> str:
    """A digest of every source file of the packages the documents are rendered by (code and templates)."""
    digest = hashlib.sha256()
    for package in (service, evaluators):
        root = Path(package.__file__).resolve().parent
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".html", ".css", ".js")):
            digest.update(f"{path.relative_to(root.parent)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _current() -> Any:
    """The condition under which a stored document (joined to its evaluation, submission and suite) is current."""
    return and_(EvaluationDocument.renderer == renderer(), Evaluation.status == EvaluationStatus.finished,
                EvaluationDocument.evaluation_revision == Evaluation.revision,
                EvaluationDocument.submission_revision == Submission.revision,
                EvaluationDocument.suite_revision == Suite.revision)


def _with_rows_shown(statement: Select[Any]) -> Select[Any]:
    """`statement`, on evaluations, joined to their submissions and suites (the other rows a document shows)."""
    return statement.join(Submission, Submission.id == Evaluation.submission_id).join(
        Suite, Suite.id == Evaluation.suite_id)


def stored(session: Session, evaluation_id: int, name: str, viewer: Viewer) -> bytes | None:
    """The gzip-compressed document, when it is stored, current and `viewer` may see it: one statement, read on
    the read cache's own connection to the session's database where it has one (one round trip)."""
    query, parameters = _stored_query(viewer), {"evaluation_id": evaluation_id, "name": name}
    source = CACHE.source(session)
    if source.cacheable:
        return source.scalar(query, parameters)  # type: ignore[no-any-return]
    return session.execute(query, parameters).scalar()


@lru_cache(maxsize=1024)
def _stored_query(viewer: Viewer) -> Select[tuple[bytes]]:
    # built once per viewer: building the statement cost more than running it
    documents = select(EvaluationDocument.gzip_body).join(Evaluation, Evaluation.id == EvaluationDocument.evaluation_id)
    return _with_rows_shown(documents).where(
        EvaluationDocument.evaluation_id == bindparam("evaluation_id"), EvaluationDocument.name == bindparam("name"),
        _current(), visible(viewer, Evaluation))


async def response(request: Request, session: Session, evaluation_id: int, name: str,
                   viewer: Viewer) -> Response | None:
    """The document as `viewer` may see it — stored where current, else rendered now (and kept by the read cache
    while the database is unchanged) — or None (not found). A stored one is read on the event loop (one statement
    on the read cache's connection, as a cache hit is): only rendering needs a thread."""
    media_type = DOCUMENTS[name][1]
    body = stored(session, evaluation_id, name, viewer)
    if body is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(body, media_type=media_type, headers={**VARY, "Content-Encoding": "gzip"})
    if body is not None:
        body = gzip.decompress(body)
    else:
        body = await run_in_threadpool(rendered, session, evaluation_id, name, viewer)
    return None if body is None else Response(body, media_type=media_type, headers=VARY)


@cached
def rendered(session: Session, evaluation_id: int, name: str, viewer: Viewer) -> bytes | None:
    return DOCUMENTS[name][0](session, evaluation_id, viewer)


def save(session: Session, evaluation: Evaluation) -> None:
    """Stores the documents of `evaluation`, finished in this transaction: the caller's last change to it (the
    revisions named are those this transaction leaves)."""
    session.flush()
    revisions = session.execute(_with_rows_shown(select(Evaluation.revision, Submission.revision, Suite.revision))
                                .where(Evaluation.id == evaluation.id)).one()
    rows = []
    for name, (draw, _) in DOCUMENTS.items():
        body = draw(session, evaluation.id, RENDERING_VIEWER)
        assert body is not None, "an admin sees every evaluation"
        rows.append({"evaluation_id": evaluation.id, "name": name, "renderer": renderer(),
                     "evaluation_revision": revisions[0], "submission_revision": revisions[1],
                     "suite_revision": revisions[2], "gzip_body": gzip.compress(body, mtime=0),
                     "rendered_at": utcnow()})
    session.execute(delete(EvaluationDocument).where(EvaluationDocument.evaluation_id == evaluation.id))
    session.execute(insert(EvaluationDocument), rows)


def stale(session: Session, limit: int) -> list[int]:
    """Up to `limit` finished evaluations without current documents."""
    current = select(EvaluationDocument.evaluation_id).where(
        EvaluationDocument.evaluation_id == Evaluation.id, EvaluationDocument.name == "detail", _current())
    return list(session.scalars(_with_rows_shown(select(Evaluation.id)).where(
        Evaluation.status == EvaluationStatus.finished, ~current.exists()).order_by(Evaluation.id).limit(limit)))


def refresh_stale(settings: Settings, limit: int) -> int:
    """Stores current documents for up to `limit` finished evaluations that lack them, one transaction each
    (the evaluation locked, as finalise locks it); returns how many it stored."""
    with session_scope(settings) as session:
        ids = stale(session, limit)
    for evaluation_id in ids:
        with write_session(settings) as session:
            evaluation = lock_evaluation(session, evaluation_id)
            if evaluation is not None and evaluation.status == EvaluationStatus.finished:
                save(session, evaluation)
    return len(ids)
