"""What the routes depend on: settings, a database session, and who is asking (bearer tokens)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.db import CONCURRENT_SESSIONS, session_scope
from service.queries import ANONYMOUS, Viewer
from service.settings import Settings, get_settings
from service.tokens import user_for_token

bearer = HTTPBearer(auto_error=False, description="A token from `cpbench admin create-token NAME`")


# These run on the event loop (async def): a sync dependency costs a round trip through the thread pool, and
# under many concurrent readers those hand-offs, not the queries, bounded the throughput. None of them waits
# on the database: a session connects at its first query (in the endpoint's thread), and closing it ends a
# transaction, which takes no lock.
async def settings_dep() -> Settings:
    return get_settings()


async def session_dep(settings: Annotated[Settings, Depends(settings_dep)]) -> AsyncIterator[Session]:
    with session_scope(settings) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(settings_dep)]
# At most CONCURRENT_SESSIONS requests hold a session; the others wait here, holding neither a thread nor a
# connection. Without the limit, more concurrent requests than pooled connections froze the API until the pool
# timeout: every pool thread waited for a connection while the requests holding the connections waited for a
# pool thread to validate their responses. The session ends before the response is sent.
SessionDep = Annotated[Session, Depends(session_dep, scope="function", max_concurrency=CONCURRENT_SESSIONS)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


async def viewer_dep(session: SessionDep,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Viewer:
    """Anonymous without a token; a token that is sent must be valid (401 says why it is not)."""
    if credentials is None:
        return ANONYMOUS
    user, problem = await run_in_threadpool(user_for_token, session, credentials.credentials)
    if user is None:
        raise _unauthorized(f"{problem}: send a token from `cpbench admin create-token` as 'Authorization: Bearer …'")
    return Viewer(user.id, user.is_admin)


ViewerDep = Annotated[Viewer, Depends(viewer_dep)]


def user_dep(viewer: ViewerDep) -> Viewer:
    if viewer.user_id is None:
        raise _unauthorized("this needs a token: send 'Authorization: Bearer <token>' "
                            "(create one with `cpbench admin create-token NAME`)")
    return viewer


def admin_dep(viewer: Annotated[Viewer, Depends(user_dep)]) -> Viewer:
    if not viewer.is_admin:
        raise HTTPException(403, "this needs an admin token (`cpbench admin create-token NAME --admin`)")
    return viewer


UserDep = Annotated[Viewer, Depends(user_dep)]
AdminDep = Annotated[Viewer, Depends(admin_dep)]
