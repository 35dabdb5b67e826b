"""Errors a user can cause become a 4xx with a plain `detail` message; nothing else leaks."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from evaluators.errors import CpbenchError
from service.catalog import ConflictError
from service.intake.errors import IntakeError


def install(app: FastAPI) -> None:
    @app.exception_handler(IntakeError)
    async def _intake(_: Request, error: IntakeError) -> JSONResponse:
        return JSONResponse({"detail": error.message}, status_code=error.status)

    @app.exception_handler(CpbenchError)
    async def _user_error(_: Request, error: CpbenchError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409 if isinstance(error, ConflictError) else 422)
