"""``/v1/verification``: how the day-ahead forecasts did, as the released bulletins reported it ("yesterday")."""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations, some of which close over
# the app's settings (page and query bounds).
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.context import ApiContext
from api.models_misc import VerificationItem, VerificationList
from api.pagination import Paging, page_info, paging_dependency, take
from api.problems import PROBLEM_RESPONSES
from api.representation import JSON, json_bytes


def router(ctx: ApiContext) -> APIRouter:
    """The verification route of one app."""
    api = APIRouter(tags=["verification"])
    settings = ctx.settings
    paging = paging_dependency(settings.pages)

    @api.get(
        "/v1/verification",
        response_class=Response,
        responses={200: {"model": VerificationList, "description": "verified days, newest first"}, **PROBLEM_RESPONSES},
        summary="Verification of recent day-ahead forecasts (per province and station), newest first",
        description="One item per released bulletin that scored a day: the day, the run whose D1 it was, per "
        "province the stations scored, exact and within-one category counts, mean absolute error and bias "
        "[VN_AQI], and per station the forecast and observed values.",
    )
    def list_verification(request: Request, page: Annotated[Paging, Depends(paging)]) -> Response:
        verified = (v for v in ctx.bulletins.newest_versions() if v.verification_date)
        versions, more = take(verified, page)
        items = [
            VerificationItem(
                bulletin_id=v.id,
                bulletin_version=v.version,
                verification_date=v.verification_date or "",
                verification_run=v.verification_run,
                regions=v.verification,
                stations=v.verified,
                links={"bulletin": ctx.link(f"/v1/bulletins/{v.id}?version={v.version}")},
            ).model_dump(mode="json")
            for v in versions
        ]
        body = {"api_version": "v1", "page": page_info(request, page, more, None, settings.base_url), "items": items}
        return ctx.representation(json_bytes(body), JSON, settings.cache.verification).respond(request)

    return api
