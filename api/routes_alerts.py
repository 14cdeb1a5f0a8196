"""``/v1/alerts``: the CAP 1.2 messages of the home (JSON index, each message's XML, an Atom feed of the
real ones). Drills and tests are listed with their status and label, never as real."""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations, some of which close over
# the app's settings (page and query bounds).
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.cap_alerts import alert_items
from api.context import ApiContext
from api.feeds import cap_feed
from api.ids import ALERT_ID
from api.models_misc import AlertList
from api.pagination import Paging, page_info, paging_dependency, take
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.representation import JSON, json_bytes

CAP_MEDIA_TYPE = "application/cap+xml"


def router(ctx: ApiContext) -> APIRouter:
    """The alert routes of one app."""
    api = APIRouter(tags=["alerts"])
    settings = ctx.settings
    paging = paging_dependency(settings.pages)
    max_age = settings.cache.alerts

    @api.get(
        "/v1/alerts",
        response_class=Response,
        responses={200: {"model": AlertList, "description": "CAP messages, newest first"}, **PROBLEM_RESPONSES},
        summary="CAP emergency messages (VN_AQI ≥ 300 on D1–D3), newest first",
        description="Every message of the ledger with its CAP `status`: only `Actual` messages are `real`; drills "
        "(`Exercise`) and messages from synthetic runs (`Test`) carry a `label` to print beside them and must "
        "never be shown as real alerts. `active`: not expired and not cancelled or updated since.",
    )
    def list_alerts(
        request: Request,
        page: Annotated[Paging, Depends(paging)],
        status: Annotated[Literal["Actual", "Exercise", "Test"] | None, Query(description="only this status")] = None,
        active: Annotated[bool | None, Query(description="only active (true) or inactive (false) messages")] = None,
    ) -> Response:
        ledger, mtime = ctx.alerts.ledger()
        items = alert_items(ledger, ctx.clock(), ctx.link)
        if status is not None:
            items = [i for i in items if i["status"] == status]
        if active is not None:
            items = [i for i in items if i["active"] == active]
        chosen, more = take(items, page)
        body = {"api_version": "v1", "page": page_info(request, page, more, len(items), settings.base_url),
                "items": chosen}  # fmt: skip
        return ctx.representation(json_bytes(body), JSON, max_age, last_modified=mtime).respond(request)

    @api.get(
        "/v1/alerts.atom",
        response_class=Response,
        responses={
            200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}}, "description": "Atom feed"},
            **PROBLEM_RESPONSES,
        },  # fmt: skip
        summary="Atom feed of the real (Actual) CAP messages for aggregators; drills and tests left out",
    )
    def alerts_feed(request: Request) -> Response:
        ledger, mtime = ctx.alerts.ledger()
        body = cap_feed(reversed(ledger.entries), ctx.link)
        return ctx.representation(body, "application/atom+xml", max_age, last_modified=mtime).respond(request)

    @api.get(
        "/v1/alerts/{identifier}",
        response_class=Response,
        responses={
            200: {"content": {CAP_MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": "the CAP 1.2 XML"},
            **PROBLEM_RESPONSES,
        },  # fmt: skip
        summary="One CAP 1.2 message (XML) by identifier",
    )
    def get_alert(
        request: Request,
        identifier: Annotated[
            str, Path(pattern=ALERT_ID, max_length=210, examples=["vn.vnaqi.2026-11-25T00Z.ha-noi.7"])
        ],
    ) -> Response:
        path = ctx.alerts.xml_file(identifier)
        if path is None:
            raise ApiProblem(404, f"no CAP message {identifier!r}; see /v1/alerts")
        return ctx.file_representation(path, CAP_MEDIA_TYPE, max_age).respond(request)

    return api
