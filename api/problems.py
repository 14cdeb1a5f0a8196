"""Errors as RFC 9457 problem details (``application/problem+json``), for every status the API returns.

Routes raise :class:`ApiProblem`; :func:`install_problem_handlers` turns it, Starlette's HTTP errors (unknown
path 404, 405), request validation errors (422) and any unexpected exception (500, details logged, not shown)
into one JSON shape: ``type``, ``title``, ``status``, ``detail``, ``instance`` (+ ``errors`` for 422).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "tag:vnaqi,2026:problems/"
"""``type`` of every problem is this plus a slug; docs/api.md lists them."""

SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    422: "invalid-parameter",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "tag:vnaqi,2026:problems/not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "no station 'hn-nowhere' in the latest forecast (2026-11-25T00Z/forecast-v1)",
                    "instance": "/v1/stations/hn-nowhere/forecast",
                }
            ]
        }
    )

    type: str = Field(description="URI naming the kind of problem (tag:vnaqi,2026:problems/<slug>)")
    title: str = Field(description="short summary of the kind of problem (the HTTP reason phrase)")
    status: int = Field(description="HTTP status code")
    detail: str = Field(description="what went wrong with this request, in plain English")
    instance: str = Field(description="the path of the request")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="for 422: each invalid parameter (`loc`, `msg`, `type`)"
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting problem details (see :func:`problem_media_types`)."""
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


PROBLEM_RESPONSES = problem_responses(404, 422)
"""The problems most routes document: unknown id (404) and invalid parameter (422)."""


def problem_media_types(openapi: dict[str, Any]) -> dict[str, Any]:
    """Move each documented problem's schema from ``application/json`` (FastAPI's default for ``model``) to
    ``application/problem+json``, the media type actually sent."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            for response in (operation.get("responses") or {}).values():
                content = response.get("content") or {}
                if PROBLEM_MEDIA_TYPE in content and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return openapi


class ApiProblem(Exception):
    """A problem a route reports (404 unknown id, 422 bad parameter, 503 nothing published …)."""

    def __init__(self, status: int, detail: str, *, slug: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or SLUGS.get(status, "error")
        self.headers = headers or {}


def problem_response(
    status: int,
    detail: str,
    instance: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem-details response (never cached by shared caches: ``Cache-Control: no-store``)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or SLUGS.get(status, "error")),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return Response(
        content,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors():
        item = {
            "loc": [str(p) for p in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": error.get("type"),
        }
        if "input" in error and isinstance(error["input"], str | int | float):
            item["input"] = str(error["input"])[:200]
        out.append(item)
    return out


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(p for p in error["loc"] if p not in ("query", "path", "header")) or "request"
        parts.append(f"{where}: {error['msg']}")
    return "invalid request parameter(s): " + "; ".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through :func:`problem_response`."""

    async def api_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return problem_response(exc.status, exc.detail, request.url.path, slug=exc.slug, headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        if status == 404 and exc.detail in (None, "Not Found"):
            detail = f"no resource at {request.url.path}; see /docs for the endpoints of /v1"
        elif status == 405:
            detail = f"{request.method} is not allowed on {request.url.path}; reads are GET, writes are in /docs"
        else:
            detail = str(exc.detail) if exc.detail else HTTPStatus(status).phrase
        return problem_response(status, detail, request.url.path, headers=dict(exc.headers or {}))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        return problem_response(422, _validation_detail(errors), request.url.path, errors=errors)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal error; it has been logged", request.url.path)

    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
