"""The writes of the API: forecasters log in, override a station's daily category, approve, publish and rerun.

Every route here needs a forecaster or admin (``Authorization: Bearer <API key>``, or the session cookie of
``POST /v1/session`` plus its CSRF token in ``X-CSRF-Token``); anonymous requests get 401, other roles 403, and
nothing is changed. Each change is written to the audit log by the catalogue in the same transaction. Answers
are never cached (``Cache-Control: no-store``).
"""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations (pydantic bodies, dependencies).
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.context import ApiContext
from api.ids import STATION_ID
from api.params import Cycle, RunName
from api.problems import ApiProblem, problem_responses
from api.reruns import RerunBusy, start_rerun
from api.security.auth import Principal
from api.security.login import clear_session_cookie, log_in, set_session_cookie
from forecast.catalogue import AccessError, CatalogueError, UnknownRun
from forecast.catalogue.access import MAX_REASON_CHARS, MIN_REASON_CHARS
from forecast.cycle.review import ReviewOutcome, approve_run, override_category, publish_now

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}
WRITE_RESPONSES = problem_responses(401, 403, 404, 409, 422, 503)


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"username": "lan", "password": "…"}]})

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    user: str
    role: str
    csrf_token: str = Field(description="send it as X-CSRF-Token with every write made with the session cookie")
    expires_at: int = Field(description="Unix time [s] the session ends")


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=600, description="what was checked")
    release: bool = Field(default=True, description="false: approve only; release later with /publish")


class OverrideRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "station_id": "demo-us-embassy-hanoi",
                    "day": "D1",
                    "category": 3,
                    "reason": "Đốt rơm rạ ở ngoại thành chưa có trong kiểm kê phát thải",
                }
            ]
        },
    )

    station_id: str = Field(pattern=STATION_ID, max_length=64)
    day: Literal["D1", "D2", "D3"]
    category: int = Field(ge=1, le=6, description="VN_AQI category 1 (Tốt) … 6 (Nguy hại)")
    reason: str = Field(min_length=MIN_REASON_CHARS, max_length=MAX_REASON_CHARS, description="why (mandatory)")


class ReviewResult(BaseModel):
    run_id: str
    status: str = Field(description="the run's status after the action")
    summary: str
    released: bool = Field(description="the public products (bulletin, API) now show the change")
    by: str


class RerunAccepted(BaseModel):
    cycle: str
    by: str
    log: str = Field(description="log file of the run, relative to the home")
    status_url: str = Field(description="where the new run will appear")


class OverrideItem(BaseModel):
    run_id: str
    station_id: str
    day: str
    category: int
    reason: str
    by: str
    at: str


class AuditItem(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: dict


def _result(ctx: ApiContext, outcome: ReviewOutcome, by: str) -> JSONResponse:
    if outcome.release_dir is not None:
        ctx.releases.recheck()  # this worker answers with the new release at once (others within a second)
    body = ReviewResult(run_id=outcome.run_id, status=outcome.status, summary=outcome.summary,
                        released=outcome.release_dir is not None, by=by)  # fmt: skip
    return JSONResponse(body.model_dump(), headers=NO_STORE)


def router(ctx: ApiContext) -> APIRouter:  # noqa: C901 - one closure per route
    """The write routes of one app."""
    api = APIRouter(tags=["forecasters"])
    writer = ctx.auth_dependency()
    catalogue_url = ctx.catalogue.url

    def act(run_id: str, action):
        catalogue = ctx.writable_catalogue()
        try:
            return action(catalogue)
        except UnknownRun as exc:
            raise ApiProblem(404, f"no run {run_id!r} in the catalogue; see /v1/runs") from exc
        except (AccessError, ValueError) as exc:
            raise ApiProblem(409, str(exc), slug="conflict") from exc
        except CatalogueError as exc:
            log.error("catalogue write failed: %s", exc)
            raise ApiProblem(503, "the run catalogue cannot be written (details in the server log)",
                             slug="unavailable") from exc  # fmt: skip

    @api.post("/v1/session", response_model=SessionInfo, responses=problem_responses(401, 422, 503),
              summary="Log in (sets the session cookie; returns the CSRF token)")  # fmt: skip
    def login(body: LoginRequest) -> JSONResponse:
        done = log_in(ctx.writable_catalogue(), ctx.auth, body.username, body.password)
        if done is None:
            raise ApiProblem(401, "wrong user name or password", headers={"WWW-Authenticate": 'Bearer realm="vnaqi"'})
        cookie, session = done
        response = JSONResponse(
            SessionInfo(user=session.user, role=session.role, csrf_token=session.csrf,
                        expires_at=session.expires).model_dump(), headers=NO_STORE)  # fmt: skip
        set_session_cookie(response, cookie, ctx.settings.session)
        return response

    @api.get("/v1/session", response_model=SessionInfo, responses=problem_responses(401),
             summary="Who the session cookie belongs to")  # fmt: skip
    def whoami(request: Request) -> JSONResponse:
        principal = ctx.auth.principal(request)
        if principal is None or principal.session is None:
            raise ApiProblem(401, "not logged in", headers={"WWW-Authenticate": 'Bearer realm="vnaqi"'})
        s = principal.session
        body = SessionInfo(user=s.user, role=principal.user.role, csrf_token=s.csrf, expires_at=s.expires)
        return JSONResponse(body.model_dump(), headers=NO_STORE)

    @api.delete("/v1/session", status_code=204, summary="Log out (clears the session cookie)")
    def logout() -> Response:
        response = Response(status_code=204, headers=NO_STORE)
        clear_session_cookie(response, ctx.settings.session)
        return response

    @api.post("/v1/runs/{cycle}/{run}/approve", response_model=ReviewResult, responses=WRITE_RESPONSES,
              summary="Approve a complete run and (by default) release it, marked reviewed")  # fmt: skip
    def approve(
        cycle: Cycle, run: RunName, who: Annotated[Principal, Depends(writer)], body: ApproveRequest | None = None
    ) -> JSONResponse:
        body = body or ApproveRequest()
        run_id, by = f"{cycle}/{run}", who.user.name
        outcome = act(run_id, lambda cat: approve_run(ctx.layout, cat, run_id, by=by, note=body.note,
                                                      release=body.release, catalogue_url=catalogue_url))  # fmt: skip
        return _result(ctx, outcome, by)

    @api.post("/v1/runs/{cycle}/{run}/publish", response_model=ReviewResult, responses=WRITE_RESPONSES,
              summary="Release a complete or approved run now")  # fmt: skip
    def publish(cycle: Cycle, run: RunName, who: Annotated[Principal, Depends(writer)]) -> JSONResponse:
        run_id, by = f"{cycle}/{run}", who.user.name
        outcome = act(run_id, lambda cat: publish_now(ctx.layout, cat, run_id, by=by, catalogue_url=catalogue_url))
        return _result(ctx, outcome, by)

    @api.post("/v1/runs/{cycle}/{run}/overrides", status_code=201, response_model=ReviewResult,
              responses=WRITE_RESPONSES,
              summary="Override a station's daily category with a reason (a published run is released again)",
              )  # fmt: skip
    def override(
        cycle: Cycle, run: RunName, body: OverrideRequest, who: Annotated[Principal, Depends(writer)]
    ) -> JSONResponse:
        run_id, by = f"{cycle}/{run}", who.user.name
        outcome = act(run_id, lambda cat: override_category(
            ctx.layout, cat, run_id, station_id=body.station_id, day=body.day, category=body.category,
            reason=body.reason, by=by, catalogue_url=catalogue_url))  # fmt: skip
        response = _result(ctx, outcome, by)
        response.status_code = 201
        return response

    @api.get("/v1/runs/{cycle}/{run}/overrides", response_model=list[OverrideItem],
             responses=problem_responses(404, 422, 503),
             summary="The forecasters' overrides of a run (public, as in the bulletin)")  # fmt: skip
    def overrides(cycle: Cycle, run: RunName) -> JSONResponse:
        run_id = f"{cycle}/{run}"
        catalogue = ctx.catalogue.get()
        if catalogue is None:
            raise ApiProblem(404, f"no run {run_id!r}: this home has no run catalogue yet")
        items = act(run_id, lambda cat: (cat.get(run_id), cat.overrides(run_id))[1])
        return JSONResponse([OverrideItem(**o.to_dict()).model_dump() for o in items], headers=NO_STORE)

    @api.post("/v1/runs/{cycle}/rerun", status_code=202, response_model=RerunAccepted, responses=WRITE_RESPONSES,
              summary="Run the cycle again (a new run version; the old one is kept)")  # fmt: skip
    def rerun(cycle: Cycle, who: Annotated[Principal, Depends(writer)]) -> JSONResponse:
        catalogue = ctx.writable_catalogue()
        try:
            started = start_rerun(ctx.layout, cycle, catalogue_url=catalogue_url)
        except RerunBusy as exc:
            raise ApiProblem(409, str(exc), slug="conflict") from exc
        catalogue.record_audit(who.user.name, "run.rerun", cycle, {"log": started.log})
        body = RerunAccepted(cycle=cycle, by=who.user.name, log=started.log,
                             status_url=ctx.link(f"/v1/runs?cycle={cycle}"))  # fmt: skip
        return JSONResponse(body.model_dump(), status_code=202, headers=NO_STORE)

    @api.get("/v1/audit", response_model=list[AuditItem], responses=problem_responses(401, 403, 422, 503),
             summary="The audit log, newest first (forecasters and admins)")  # fmt: skip
    def audit(
        who: Annotated[Principal, Depends(writer)],
        limit: Annotated[int, Query(ge=1, le=ctx.settings.pages.max_limit)] = ctx.settings.pages.default_limit,
        offset: Annotated[int, Query(ge=0, le=ctx.settings.pages.max_offset)] = 0,
        target: Annotated[str | None, Query(max_length=200)] = None,
    ) -> JSONResponse:
        entries = ctx.writable_catalogue().audit_log(limit=limit, offset=offset, target=target)
        items = [AuditItem(id=e.id, at=e.at.isoformat(), actor=e.actor, action=e.action, target=e.target,
                           detail=e.detail).model_dump() for e in entries]  # fmt: skip
        return JSONResponse(items, headers=NO_STORE)

    return api
