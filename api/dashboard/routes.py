"""The forecasters' dashboard: server-rendered pages under ``/dashboard`` (docs/dashboard.md).

Every page but the login needs a logged-in user (anonymous visitors are sent to the login, and back after it);
changes — override a station's daily category with a reason, approve, publish — need a forecaster or admin and
the session's CSRF token, go through :mod:`forecast.cycle.review` and are audited by the catalogue. Form posts
answer 303 to the page they came from, which shows the confirmation once; a refused post shows the page again
with the message and the values typed (4xx, never 500). Ids from the path are checked against :mod:`api.ids`
before anything is looked up; pages are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from api.context import ApiContext
from api.dashboard import actions
from api.dashboard.data import RunFiles, RunView, cube_pollutants, station_series
from api.dashboard.pages import categories_css, redirect, render
from api.dashboard.session import (
    FLASH_COOKIE,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    WRITERS,
    Flash,
    Refused,
    login_token,
    login_token_ok,
    safe_next,
    set_login_token,
    viewer,
    writer,
)
from api.ids import is_cycle, is_run_name, is_station_id
from api.problems import ApiProblem
from api.security.auth import Principal
from api.security.login import clear_session_cookie, log_in, set_session_cookie
from configs.schema import POLLUTANTS
from forecast.aqi.categories import CATEGORIES
from forecast.catalogue import APPROVED, COMPLETE, ROLES, CatalogueError, RunCatalogue, UnknownRun
from forecast.catalogue.access import DAYS, MAX_REASON_CHARS, MIN_REASON_CHARS, OVERRIDABLE

log = logging.getLogger(__name__)

RUNS_PER_PAGE, AUDIT_PER_PAGE, VERIFIED_PER_PAGE = 25, 50, 10
MAX_OFFSET = 100_000
RUN_AUDIT_MAX = 200
_RUN_TARGET = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}Z)/([A-Za-z0-9][A-Za-z0-9_-]{0,63}-v[1-9][0-9]{0,5})(/|$)"
)
FORM_FIELDS = ("station_id", "day", "category", "reason", "note")


def _int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(text))) if text is not None else default
    except ValueError:
        return default


def _pager(request: Request, offset: int, limit: int, more: bool) -> dict[str, str | None]:
    def link(at: int) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
        query += [("offset", str(at))] + ([("limit", str(limit))] if "limit" in request.query_params else [])
        return f"{request.url.path}?{urlencode(query)}"

    return {
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "next": link(offset + limit) if more else None,
        "first": offset + 1,
        "offset": offset,
    }


def _run_link(target: str) -> str | None:
    """The dashboard page of the run an audit target names (``<cycle>/<run>[/…]``), if any."""
    found = _RUN_TARGET.match(target or "")
    return f"{PREFIX}/runs/{found.group(1)}/{found.group(2)}" if found else None


def _form_fields(form: Any) -> dict[str, str]:
    return {k: v for k in FORM_FIELDS if isinstance(v := form.get(k), str)}  # files (UploadFile) are ignored


def router(ctx: ApiContext) -> APIRouter:  # noqa: C901 - one closure per page
    """The dashboard's pages over one app's context."""
    api = APIRouter(include_in_schema=False)
    files = RunFiles(ctx.layout)
    flash = Flash(ctx)
    session_settings = ctx.settings.session

    # -- helpers shared by the pages --------------------------------------------------------------------------

    def page(request: Request, template: str, status: int = 200, *, me: Principal | None = None, **context):
        message = flash.take(request) if status < 400 else None
        response = render(
            template,
            status,
            me=me,
            csrf=me.session.csrf if me and me.session else None,
            flash=message,
            writer=bool(me and me.user.role in WRITERS),
            **context,
        )
        if message is not None or (status < 400 and request.cookies.get(FLASH_COOKIE)):
            flash.clear(response)  # shown once (and a cookie that is not genuine is dropped)
        return response

    def error(request: Request, status: int, detail: str, me: Principal | None = None) -> Response:
        return page(request, "error.html", status, me=me, title=f"{status}", detail=detail, nav="")

    def guarded(handler: Callable[..., Response]) -> Callable[..., Response]:
        """``handler`` with the catalogue's unavailability shown as a page (503), never a bare 500."""

        @functools.wraps(handler)
        def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                return handler(request, *args, **kwargs)
            except ApiProblem as exc:
                return error(request, exc.status, exc.detail)
            except CatalogueError as exc:
                log.error("catalogue read failed on %s: %s", request.url.path, exc)
                return error(request, 503, "the run catalogue cannot be read just now (details in the server log)")

        return wrapper

    def gate(request: Request) -> Principal | Response:
        """The logged-in user, or the response to send instead (login redirect, or an error page)."""
        try:
            me = viewer(ctx, request)
        except ApiProblem as exc:
            return error(request, exc.status, exc.detail)
        if me is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect(f"{PREFIX}/login?next={quote(target, safe='')}")
        if me.user.role not in ROLES:
            return error(request, 403, f"{me.user.role} may not use the dashboard", me)
        return me

    def catalogue_or_error(request: Request, me: Principal) -> RunCatalogue | Response:
        try:
            return ctx.writable_catalogue()
        except ApiProblem as exc:
            return error(request, exc.status, exc.detail, me)

    def latest_run_id() -> str | None:
        try:
            release = ctx.releases.current()
        except Exception as exc:  # a broken release is the API's to report; the dashboard just shows no marker
            log.warning("products/latest unreadable: %s", exc)
            return None
        return release.run_id if release is not None else None

    def refused(request: Request, why: Refused) -> Response:
        me = None
        try:
            me = viewer(ctx, request)
        except ApiProblem:
            pass
        detail = why.detail
        if why.status == 401:
            detail = "Hãy đăng nhập / log in first (as a forecaster or admin); nothing was changed"
        return error(request, why.status, f"{detail}. Nothing was changed / Không có gì thay đổi.", me)

    def run_audit(catalogue: RunCatalogue, view: RunView) -> list:
        run_id = view.record.run_id
        entries = {e.id: e for e in catalogue.audit_log(limit=RUN_AUDIT_MAX, target=run_id)}
        for target in sorted({f"{run_id}/{o.station_id}/{o.day}" for o in view.overrides}):
            entries.update({e.id: e for e in catalogue.audit_log(limit=RUN_AUDIT_MAX, target=target)})
        return sorted(entries.values(), key=lambda e: e.id, reverse=True)[:RUN_AUDIT_MAX]

    def run_page(
        request: Request,
        me: Principal,
        cycle: str,
        run: str,
        *,
        status: int = 200,
        problem: str | None = None,
        which: str | None = None,
        form: dict[str, str] | None = None,
    ) -> Response:
        found = catalogue_or_error(request, me)
        if isinstance(found, Response):
            return found
        run_id = f"{cycle}/{run}"
        try:
            view = files.view(found, run_id, cycle, run)
            audit = run_audit(found, view)
        except UnknownRun:
            return error(request, 404, f"no run {run_id!r} in the catalogue", me)
        except CatalogueError as exc:
            log.error("catalogue read failed: %s", exc)
            return error(request, 503, "the run catalogue cannot be read just now (details in the server log)", me)
        form = dict(form or {})
        wanted = request.query_params.get("station", "")
        if not form.get("station_id") and is_station_id(wanted):
            form["station_id"] = wanted
        return page(
            request,
            "run.html",
            status,
            me=me,
            nav="runs",
            title=run_id,
            view=view,
            run_id=run_id,
            audit=audit,
            latest=latest_run_id() == run_id,
            problem=problem,
            which=which,
            form=form,
            days=DAYS,
            can_override=view.record.status in OVERRIDABLE and view.document is not None,
            can_approve=view.record.status == COMPLETE,
            can_publish=view.record.status in (COMPLETE, APPROVED),
            min_reason=MIN_REASON_CHARS,
            max_reason=MAX_REASON_CHARS,
            max_note=actions.MAX_NOTE_CHARS,
            run_link=_run_link,
        )

    def valid_run(cycle: str, run: str) -> bool:
        return is_cycle(cycle) and is_run_name(run)

    async def act(request: Request, cycle: str, run: str, which: str) -> Response:
        if not valid_run(cycle, run):
            return error(request, 404, "not a run id (<cycle>/<job>-v<N>)")
        try:
            who = await writer(ctx, request)
        except ApiProblem as exc:
            return error(request, exc.status, exc.detail)
        if isinstance(who, Refused):
            return refused(request, who)
        fields = _form_fields(await request.form())
        run_id, by = f"{cycle}/{run}", who.user.name
        if which == "override":
            result = await run_in_threadpool(actions.override, ctx, run_id, fields, by=by)
        elif which == "approve":
            result = await run_in_threadpool(actions.approve, ctx, run_id, fields, by=by)
        else:
            result = await run_in_threadpool(actions.publish, ctx, run_id, by=by)
        if isinstance(result, actions.Failed):
            log.info("dashboard %s of %s by %s refused (%s): %s", which, run_id, by, result.status, result.detail)
            return await run_in_threadpool(
                run_page,
                request,
                who,
                cycle,
                run,
                status=result.status,
                problem=result.detail,
                which=which,
                form=fields,
            )
        response = redirect(f"{PREFIX}/runs/{run_id}")
        flash.set(response, result.message)
        return response

    # -- log in and out ---------------------------------------------------------------------------------------

    def login_page(
        request: Request,
        status: int = 200,
        *,
        problem: str | None = None,
        username: str = "",
        next_path: str | None = None,
    ) -> Response:
        try:
            me = viewer(ctx, request)
        except ApiProblem as exc:
            return error(request, exc.status, exc.detail)
        token = login_token(request)
        next_path = safe_next(next_path if next_path is not None else request.query_params.get("next"))
        response = page(
            request,
            "login.html",
            status,
            me=me,
            nav="login",
            title="Đăng nhập / Log in",
            problem=problem,
            username=username,
            next_path=next_path,
            login_csrf=token,
        )
        set_login_token(response, token, session_settings.secure_cookie)
        return response

    @api.get(f"{PREFIX}/login")
    def get_login(request: Request) -> Response:
        return login_page(request)

    @api.post(f"{PREFIX}/login")
    async def post_login(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("username") or ""), str(form.get("password") or "")
        next_path = safe_next(str(form.get("next") or ""))
        if not login_token_ok(request, str(form.get("csrf_token") or "")):
            return login_page(
                request,
                403,
                username=name,
                next_path=next_path,
                problem="Biểu mẫu đã hết hạn / the login form expired: please try again",
            )
        try:
            catalogue = ctx.writable_catalogue()
            done = await run_in_threadpool(log_in, catalogue, ctx.auth, name, password)
        except ApiProblem as exc:
            return error(request, exc.status, exc.detail)
        except CatalogueError as exc:
            log.error("login failed on the catalogue: %s", exc)
            return error(request, 503, "the run catalogue cannot be reached (details in the server log)")
        if done is None:
            return login_page(
                request,
                401,
                username=name,
                next_path=next_path,
                problem="Sai tên đăng nhập hoặc mật khẩu / wrong user name or password",
            )
        cookie, session = done
        response = redirect(next_path)
        set_session_cookie(response, cookie, session_settings)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=f"{PREFIX}/login")
        flash.set(response, f"Xin chào / welcome, {session.user} ({session.role})")
        return response

    @api.post(f"{PREFIX}/logout")
    async def post_logout(request: Request) -> Response:
        try:
            me = viewer(ctx, request)
        except ApiProblem as exc:
            return error(request, exc.status, exc.detail)
        if me is not None and me.via == "session":
            try:
                checked = await ctx.auth.require(*ROLES)(request)
            except HTTPException as exc:  # the CSRF token is missing or wrong
                return refused(request, Refused(exc.status_code, str(exc.detail)))
            try:
                name = checked.user.name
                await run_in_threadpool(ctx.writable_catalogue().record_audit, name, "session.logout", f"user/{name}")
            except (ApiProblem, CatalogueError) as exc:  # logging out must work even then
                log.error("logout of %s not audited: %s", checked.user.name, exc)
        response = redirect(f"{PREFIX}/login")
        clear_session_cookie(response, session_settings)
        flash.set(response, "Đã đăng xuất / logged out")
        return response

    # -- pages --------------------------------------------------------------------------------------------------

    @api.get(f"{PREFIX}/categories.css")
    def category_styles() -> Response:
        return Response(
            categories_css(),
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @api.get(PREFIX)
    @guarded
    def runs_page(request: Request) -> Response:
        me = gate(request)
        if isinstance(me, Response):
            return me
        catalogue = catalogue_or_error(request, me)
        if isinstance(catalogue, Response):
            return catalogue
        limit = _int(request.query_params.get("limit"), RUNS_PER_PAGE, 1, 200)
        offset = _int(request.query_params.get("offset"), 0, 0, MAX_OFFSET)
        try:
            records = catalogue.runs(limit=offset + limit + 1)
        except CatalogueError as exc:
            log.error("catalogue read failed: %s", exc)
            return error(request, 503, "the run catalogue cannot be read just now (details in the server log)", me)
        window = records[offset : offset + limit]
        return page(
            request,
            "runs.html",
            me=me,
            nav="runs",
            title="Lượt chạy / Runs",
            runs=window,
            latest=latest_run_id(),
            paging=_pager(request, offset, limit, len(records) > offset + limit),
        )

    @api.get(PREFIX + "/runs/{cycle}/{run}")
    @guarded
    def get_run(request: Request, cycle: str, run: str) -> Response:
        if not valid_run(cycle, run):
            return error(request, 404, "not a run id (<cycle>/<job>-v<N>)")
        me = gate(request)
        return me if isinstance(me, Response) else run_page(request, me, cycle, run)

    @api.post(PREFIX + "/runs/{cycle}/{run}/override")
    async def post_override(request: Request, cycle: str, run: str) -> Response:
        return await act(request, cycle, run, "override")

    @api.post(PREFIX + "/runs/{cycle}/{run}/approve")
    async def post_approve(request: Request, cycle: str, run: str) -> Response:
        return await act(request, cycle, run, "approve")

    @api.post(PREFIX + "/runs/{cycle}/{run}/publish")
    async def post_publish(request: Request, cycle: str, run: str) -> Response:
        return await act(request, cycle, run, "publish")

    def station_data(request: Request, cycle: str, run: str, station_id: str) -> tuple | Refused:
        """(run view, station, series) of a station page, else the status and why not."""
        if not (valid_run(cycle, run) and is_station_id(station_id)):
            return Refused(404, "not a run id or station id")
        pollutant = request.query_params.get("pollutant", "pm25")
        if pollutant not in POLLUTANTS:
            return Refused(422, f"pollutant must be one of {', '.join(POLLUTANTS)}")
        run_id = f"{cycle}/{run}"
        try:
            view = files.view(ctx.writable_catalogue(), run_id, cycle, run)
            cube = files.cube(view.folder) if view.folder is not None else None
        except ApiProblem as exc:
            return Refused(exc.status, exc.detail)
        except UnknownRun:
            return Refused(404, f"no run {run_id!r} in the catalogue")
        except CatalogueError as exc:
            log.error("catalogue read failed: %s", exc)
            return Refused(503, "the run catalogue cannot be read just now (details in the server log)")
        except (OSError, ValueError) as exc:  # a damaged forecast.nc
            log.error("forecast cube of %s unreadable: %s", run_id, exc)
            return Refused(500, f"the forecast cube of {run_id} cannot be read (details in the server log)")
        station = view.station(station_id)
        if station is None or cube is None or station_id not in cube["station"].values:
            return Refused(404, f"no station {station_id!r} in the forecast of {run_id}")
        if pollutant not in cube_pollutants(cube):
            return Refused(404, f"{run_id} has no {pollutant} forecast")
        series = station_series(
            ctx.layout, ctx.registry(), run_id, cube, view.document, station_id, pollutant, ctx.clock()
        )
        return view, station, series

    @api.get(PREFIX + "/runs/{cycle}/{run}/stations/{station_id}.json")
    def station_json(request: Request, cycle: str, run: str, station_id: str) -> Response:
        headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        try:
            me = viewer(ctx, request)
        except ApiProblem as exc:
            return JSONResponse({"status": exc.status, "detail": exc.detail}, exc.status, headers=headers)
        if me is None:
            return JSONResponse({"status": 401, "detail": "log in first: /dashboard/login"}, 401, headers=headers)
        found = station_data(request, cycle, run, station_id)
        if isinstance(found, Refused):
            return JSONResponse({"status": found.status, "detail": found.detail}, found.status, headers=headers)
        return JSONResponse(found[2], headers=headers)

    @api.get(PREFIX + "/runs/{cycle}/{run}/stations/{station_id}")
    @guarded
    def station_page(request: Request, cycle: str, run: str, station_id: str) -> Response:
        me = gate(request)
        if isinstance(me, Response):
            return me
        found = station_data(request, cycle, run, station_id)
        if isinstance(found, Refused):
            return error(request, found.status, found.detail, me)
        view, station, series = found
        bounds = [
            {
                "index": c.index,
                "min": c.aqi_min,
                "max": c.aqi_max,
                "hex": c.hex,
                "name_vi": c.name_vi,
                "name_en": c.name_en,
            }
            for c in CATEGORIES
        ]
        return page(
            request,
            "station.html",
            me=me,
            nav="runs",
            title=f"{station.get('name_vi') or station_id}",
            view=view,
            run_id=view.record.run_id,
            station=station,
            series=series,
            bounds=bounds,
            can_override=me.user.role in WRITERS and view.record.status in OVERRIDABLE,
        )

    @api.get(f"{PREFIX}/verification")
    @guarded
    def verification_page(request: Request) -> Response:
        me = gate(request)
        if isinstance(me, Response):
            return me
        limit = _int(request.query_params.get("limit"), VERIFIED_PER_PAGE, 1, 50)
        offset = _int(request.query_params.get("offset"), 0, 0, MAX_OFFSET)
        verified = [v for v in ctx.bulletins.newest_versions() if v.verification_date]
        window = verified[offset : offset + limit]
        names: dict[str, str] = {}
        try:
            release = ctx.releases.current()
            names = {sid: s.get("name_vi") or sid for sid, s in release.stations().items()} if release else {}
        except Exception as exc:  # names are a nicety here
            log.warning("products/latest unreadable: %s", exc)
        return page(
            request,
            "verification.html",
            me=me,
            nav="verification",
            title="Kiểm chứng / Verification",
            items=window,
            names=names,
            paging=_pager(request, offset, limit, len(verified) > offset + limit),
        )

    @api.get(f"{PREFIX}/audit")
    @guarded
    def audit_page(request: Request) -> Response:
        me = gate(request)
        if isinstance(me, Response):
            return me
        if me.user.role not in WRITERS:
            return error(request, 403, "the audit log is for forecasters and admins", me)
        catalogue = catalogue_or_error(request, me)
        if isinstance(catalogue, Response):
            return catalogue
        limit = _int(request.query_params.get("limit"), AUDIT_PER_PAGE, 1, 200)
        offset = _int(request.query_params.get("offset"), 0, 0, MAX_OFFSET)
        target = request.query_params.get("target") or None
        if target is not None and (len(target) > 200 or any(ord(ch) < 32 for ch in target)):
            return error(request, 422, "target must be at most 200 printable characters", me)
        entries = catalogue.audit_log(limit=limit + 1, offset=offset, target=target)
        return page(
            request,
            "audit.html",
            me=me,
            nav="audit",
            title="Nhật ký / Audit log",
            entries=entries[:limit],
            target=target,
            run_link=_run_link,
            paging=_pager(request, offset, limit, len(entries) > limit),
        )

    return api
