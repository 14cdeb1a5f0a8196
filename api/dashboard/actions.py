"""The forecasters' actions from the dashboard's forms — override a station's daily category, approve, publish
— done through :mod:`forecast.cycle.review` (the same code as the command line and the API, audited by the
catalogue), with every refusal turned into a status and a message for the page instead of an error page.

Form fields are checked here first (station id pattern, day, category 1–6); the reason's length is left to
the catalogue so the forecaster reads its own words ("an override needs a reason of 10–1000 characters …").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from api.context import ApiContext
from api.dashboard.pages import category_name
from api.ids import is_station_id
from api.problems import ApiProblem
from forecast.catalogue import AccessError, CatalogueError, InvalidTransition, UnknownRun
from forecast.catalogue.access import DAYS, MAX_REASON_CHARS
from forecast.cycle.review import ReviewOutcome, approve_run, override_category, publish_now

log = logging.getLogger(__name__)
MAX_NOTE_CHARS = 600


@dataclass(frozen=True)
class Done:
    """An action that worked: the outcome and the confirmation to show."""

    outcome: ReviewOutcome
    message: str


@dataclass(frozen=True)
class Failed:
    """An action refused (nothing changed unless ``detail`` says otherwise): HTTP status and why."""

    status: int
    detail: str


def _act(ctx: ApiContext, run_id: str, action: Callable[..., ReviewOutcome], message: Callable[[ReviewOutcome], str]):
    try:
        catalogue = ctx.writable_catalogue()
    except ApiProblem as exc:  # 503: no catalogue, or unreachable
        return Failed(exc.status, exc.detail)
    try:
        outcome = action(catalogue)
    except UnknownRun:
        return Failed(404, f"no run {run_id!r} in the catalogue")
    except InvalidTransition as exc:
        return Failed(409, str(exc))
    except (AccessError, ValueError) as exc:
        return Failed(422, str(exc))
    except CatalogueError as exc:
        log.error("catalogue write failed for %s: %s", run_id, exc)
        return Failed(503, "the run catalogue cannot be written just now (details in the server log); try again")
    return Done(outcome, message(outcome))


def override(ctx: ApiContext, run_id: str, form: dict[str, str], *, by: str) -> Done | Failed:
    """Override from the form fields ``station_id``, ``day``, ``category`` and ``reason``."""
    station_id, day = form.get("station_id", "").strip(), form.get("day", "").strip()
    reason = form.get("reason", "")
    if not is_station_id(station_id):
        return Failed(422, "choose a station of this run / chọn một trạm")
    if day not in DAYS:
        return Failed(422, f"day must be one of {', '.join(DAYS)}")
    try:
        category = int(form.get("category", ""))
    except ValueError:
        category = 0
    if not 1 <= category <= 6:
        return Failed(422, "category must be a VN_AQI category 1 (Tốt) … 6 (Nguy hại)")
    if len(reason) > 4 * MAX_REASON_CHARS:  # far beyond the limit: refused before anything else reads it
        return Failed(422, f"the reason is longer than {MAX_REASON_CHARS} characters")

    def act(catalogue):
        return override_category(
            ctx.layout,
            catalogue,
            run_id,
            station_id=station_id,
            day=day,
            category=category,
            reason=reason,
            by=by,
            catalogue_url=ctx.catalogue.url,
        )

    def message(outcome: ReviewOutcome) -> str:
        where = (
            "bulletin released again / bản tin đã phát hành lại"
            if outcome.release_dir
            else ("new draft bulletin / bản nháp mới")
        )
        return f"Đã ghi / saved: {station_id} {day} → {category} ({category_name(category)}) by {by}; {where}"

    return _act(ctx, run_id, act, message)


def approve(ctx: ApiContext, run_id: str, form: dict[str, str], *, by: str) -> Done | Failed:
    """Approve (and release, marked reviewed) with the optional ``note``."""
    note = form.get("note", "").strip() or None
    if note is not None and len(note) > MAX_NOTE_CHARS:
        return Failed(422, f"the note is longer than {MAX_NOTE_CHARS} characters ({len(note)})")

    def act(catalogue):
        return approve_run(ctx.layout, catalogue, run_id, by=by, note=note, catalogue_url=ctx.catalogue.url)

    return _act(ctx, run_id, act, lambda o: f"Đã duyệt / approved: {run_id} by {by}; {o.status}")


def publish(ctx: ApiContext, run_id: str, *, by: str) -> Done | Failed:
    """Release a complete or approved run now."""

    def act(catalogue):
        return publish_now(ctx.layout, catalogue, run_id, by=by, catalogue_url=ctx.catalogue.url)

    return _act(ctx, run_id, act, lambda o: f"Đã phát hành / published: {run_id} by {by}")
