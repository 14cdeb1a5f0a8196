"""``/v1/runs`` and ``/v1/runs/{cycle}/{run}``: the run catalogue, read-only, without operators' details
(folders, configuration, error text)."""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations, some of which close over
# the app's settings (page and query bounds).
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.catalogue_access import UNREACHABLE
from api.context import ApiContext
from api.ids import CYCLE_ID
from api.models_misc import Run, RunDetail, RunList
from api.pagination import Paging, page_info, paging_dependency
from api.params import Cycle
from api.problems import ApiProblem, problem_responses
from api.representation import JSON, json_bytes
from forecast.catalogue import FAILED, CatalogueError, RunRecord, UnknownRun

CATALOGUE_RUN_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}-v[1-9][0-9]{0,5}$"
Status = Literal["running", "failed", "complete", "approved", "published", "superseded"]
RUN_RESPONSES = problem_responses(404, 422, 503)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def run_fields(ctx: ApiContext, record: RunRecord) -> dict[str, Any]:
    """The public fields of a run record."""
    return {
        "run_id": record.run_id,
        "cycle": record.cycle,
        "name": record.name,
        "version": record.version,
        "status": record.status,
        "started_at": _iso(record.started_at),
        "finished_at": _iso(record.finished_at),
        "seconds": record.seconds,
        "models": dict(record.models),
        "stages": dict(record.stages),
        "fallbacks": [{"step": f.step, "detail": f.detail, "at": _iso(f.at)} for f in record.fallbacks],
        "approved_by": record.approved_by,
        "approved_at": _iso(record.approved_at),
        "published_by": record.published_by,
        "published_at": _iso(record.published_at),
        "failed": record.status == FAILED,
        "links": {"self": ctx.link(f"/v1/runs/{record.run_id}")},
    }


def _last_change(records: list[RunRecord]) -> float | None:
    times = [t for r in records for t in (r.started_at, r.finished_at, r.approved_at, r.published_at) if t]
    return max(times).timestamp() if times else None


def router(ctx: ApiContext) -> APIRouter:
    """The run catalogue routes of one app."""
    api = APIRouter(tags=["runs"])
    settings = ctx.settings
    paging = paging_dependency(settings.pages)
    max_age = settings.cache.runs

    @api.get(
        "/v1/runs",
        response_class=Response,
        responses={200: {"model": RunList, "description": "runs, newest cycle first"}, **RUN_RESPONSES},
        summary="Forecast runs of the catalogue, newest cycle first",
    )
    def list_runs(
        request: Request,
        page: Annotated[Paging, Depends(paging)],
        cycle: Annotated[str | None, Query(pattern=CYCLE_ID, description="only this cycle")] = None,
        status: Annotated[Status | None, Query(description="only this status")] = None,
    ) -> Response:
        catalogue = ctx.catalogue.get()
        wanted = page.offset + page.limit + 1
        try:
            records = [] if catalogue is None else catalogue.runs(cycle=cycle, status=status, limit=wanted)
        except ValueError as exc:  # a cycle that matches the pattern but is no date (2026-13-45T99Z)
            raise ApiProblem(422, f"cycle: {exc}") from exc
        except CatalogueError as exc:
            raise ApiProblem(503, UNREACHABLE, slug="unavailable") from exc
        window = records[page.offset : page.offset + page.limit]
        more = len(records) > page.offset + page.limit
        items = [Run.model_validate(run_fields(ctx, r)).model_dump(mode="json") for r in window]
        body = {"api_version": "v1", "page": page_info(request, page, more, None, settings.base_url), "items": items}
        return ctx.representation(json_bytes(body), JSON, max_age, last_modified=_last_change(window)).respond(request)

    @api.get(
        "/v1/runs/{cycle}/{run}",
        response_class=Response,
        responses={200: {"model": RunDetail, "description": "the run"}, **RUN_RESPONSES},
        summary="One run (id <cycle>/<job>-v<N>) with its status history",
    )
    def get_run(
        request: Request,
        cycle: Cycle,
        run: Annotated[str, Path(pattern=CATALOGUE_RUN_NAME, max_length=72, examples=["forecast-v1"])],
    ) -> Response:
        catalogue = ctx.catalogue.get()
        run_id = f"{cycle}/{run}"
        if catalogue is None:
            raise ApiProblem(404, f"no run {run_id!r}: this home has no run catalogue yet")
        try:
            record = catalogue.get(run_id)
            history = catalogue.history(run_id)
        except UnknownRun as exc:
            raise ApiProblem(404, f"no run {run_id!r} in the catalogue; see /v1/runs") from exc
        except CatalogueError as exc:
            raise ApiProblem(503, UNREACHABLE, slug="unavailable") from exc
        fields = run_fields(ctx, record)
        fields["history"] = [
            {"status": e.status, "at": _iso(e.at), "by": e.by, "note": e.note, "previous": e.previous} for e in history
        ]
        body = RunDetail.model_validate(fields).model_dump(mode="json")
        return ctx.representation(json_bytes(body), JSON, max_age, last_modified=_last_change([record])).respond(
            request
        )

    return api
