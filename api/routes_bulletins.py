"""``/v1/bulletins``: the latest released bulletin (``products/latest``) in every format, any released
bulletin by id and version, the list of released bulletins and their Atom feed. Drafts are never served.
"""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations, some of which close over
# the app's settings (page and query bounds).
import json
from itertools import islice
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.bulletin_store import BulletinVersion, version_from_json
from api.context import ApiContext
from api.feeds import bulletin_feed
from api.lang import Lang, choose_lang
from api.models_misc import BulletinList, BulletinSummary
from api.pagination import Paging, page_info, paging_dependency, take
from api.params import AcceptLanguage, Cycle, LangQuery, RunName
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.releases import Release, file_key
from api.representation import JSON, Representation, json_bytes

Format = Literal["json", "html", "txt", "png"]
MEDIA = {"json": JSON, "html": "text/html; charset=utf-8", "txt": "text/plain; charset=utf-8", "png": "image/png"}
FEED_ENTRIES = 50
RegionQuery = Annotated[int, Query(ge=1, le=99, description="PNG card of the n-th region of bulletin.json")]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=999_999, description="bulletin version K (default: the newest released one)")
]
FORMAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the bulletin file",
        "content": {
            "application/json": {"schema": {"type": "object", "description": "bulletin.json (docs/bulletin.md)"}},
            "text/html": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    **PROBLEM_RESPONSES,
}


def file_name(fmt: str, lang: Lang, region: int) -> str:
    """The file of a format inside a bulletin version (names from fixed parts only)."""
    if fmt == "json":
        return "bulletin.json"
    if fmt == "png":
        return f"card.{region:02d}.{lang}.png"
    return f"bulletin.{lang}.{fmt}"


def links(ctx: ApiContext, version: BulletinVersion, base: str, query: str) -> dict[str, Any]:
    """Links to every edition of a bulletin version (``base`` = path without the extension)."""
    sep = "&" if query else ""
    cards = [
        {"region": str(k), "name": name}
        | {lang: ctx.link(f"{base}.png?{query}{sep}region={k}&lang={lang}") for lang in ("vi", "en")}
        for k, name in enumerate(version.regions, start=1)
    ]
    return {
        "json": ctx.link(f"{base}.json" + (f"?{query}" if query else "")),
        "html": {lang: ctx.link(f"{base}.html?{query}{sep}lang={lang}") for lang in ("vi", "en")},
        "txt": {lang: ctx.link(f"{base}.txt?{query}{sep}lang={lang}") for lang in ("vi", "en")},
        "png": cards,
    }


def summary(ctx: ApiContext, version: BulletinVersion, *, latest: Release | None = None) -> dict[str, Any]:
    """:class:`BulletinSummary` fields of a released version."""
    if latest is not None:
        item_links = links(ctx, version, "/v1/bulletins/latest", "")
    else:
        item_links = links(ctx, version, f"/v1/bulletins/{version.id}", f"version={version.version}")
    body = {
        "id": version.id,
        "version": version.version,
        "cycle": version.cycle,
        "issue_time": version.issue_time,
        "released": True,
        "reviewed": version.reviewed,
        "approved_by": version.approved_by,
        "synthetic": version.synthetic,
        "emergency": version.emergency,
        "regions": version.regions,
        "caveats": version.caveats,
        "released_at": latest.info.get("released_at") if latest is not None else None,
        "links": item_links,
    }
    return BulletinSummary.model_validate(body).model_dump(mode="json", by_alias=True)


def latest_version(ctx: ApiContext) -> tuple[Release, BulletinVersion]:
    """The release behind products/latest and its bulletin version (404 when there is none)."""
    release = ctx.releases.current()
    if release is None or not release.info.get("bulletin_id") or release.file("bulletin.json") is None:
        raise ApiProblem(404, "no bulletin has been released yet")

    def build() -> BulletinVersion:
        cycle, _, run = release.info["bulletin_id"].partition("/")
        data = json.loads((release.folder / "bulletin.json").read_text(encoding="utf-8"))
        return version_from_json(cycle, run, int(data.get("version") or 0), release.folder, data)

    return release, release.memo(("bulletin-version",), build)


def _check_region(version: BulletinVersion, fmt: str, region: int) -> None:
    if fmt == "png" and region > len(version.regions):
        raise ApiProblem(404, f"bulletin {version.id} has {len(version.regions)} region(s), not {region}")


def router(ctx: ApiContext) -> APIRouter:
    """The bulletin routes of one app."""
    api = APIRouter(tags=["bulletins"])
    settings = ctx.settings
    paging = paging_dependency(settings.pages)
    max_age = settings.cache.bulletins

    @api.get(
        "/v1/bulletins",
        response_class=Response,
        responses={200: {"model": BulletinList, "description": "released bulletins"}, **PROBLEM_RESPONSES},
        summary="Released bulletins, newest cycle first (the newest released version of each)",
    )
    def list_bulletins(request: Request, page: Annotated[Paging, Depends(paging)]) -> Response:
        items, more = take(ctx.bulletins.newest_versions(), page)
        info = page_info(request, page, more, None, settings.base_url)
        body = {"api_version": "v1", "page": info, "items": [summary(ctx, v) for v in items]}
        return ctx.representation(json_bytes(body), JSON, max_age).respond(request)

    @api.get(
        "/v1/bulletins/latest",
        response_class=Response,
        responses={200: {"model": BulletinSummary, "description": "the latest bulletin"}, **PROBLEM_RESPONSES},
        summary="The latest released bulletin: what it is and links to every edition",
    )
    async def get_latest(request: Request) -> Response:
        release, version = latest_version(ctx)

        def build() -> Representation:
            body = json_bytes(summary(ctx, version, latest=release))
            return ctx.representation(body, JSON, max_age, last_modified=release.last_modified)

        return release.cached(("bulletin-summary", settings.base_url), build).respond(request)

    @api.get(
        "/v1/bulletins/latest.{fmt}",
        response_class=Response,
        responses=FORMAT_RESPONSES,
        summary="The latest released bulletin as JSON, HTML, plain text or a PNG card",
        description="`json`: bulletin.json (schema vnaqi.bulletin/1, docs/bulletin.md); `html`, `txt`: the edition in "
        "the response language; `png`: the card of region `region` (1-based) in the response language.",
    )
    async def get_latest_file(
        request: Request,
        fmt: Format,
        region: RegionQuery = 1,
        lang: LangQuery = None,
        accept_language: AcceptLanguage = None,
    ) -> Response:
        release, version = latest_version(ctx)
        chosen = choose_lang(lang, accept_language)
        _check_region(version, fmt, region)
        name = file_name(fmt, chosen, region)

        def build() -> Representation:
            path = release.file(name)
            if path is None:
                raise ApiProblem(404, f"the latest bulletin has no {name}")
            return ctx.representation(
                path.read_bytes(),
                MEDIA[fmt],
                max_age,
                last_modified=release.last_modified,
                lang=None if fmt == "json" else chosen,
            )

        return release.cached(file_key(name), build).respond(request)

    def released(cycle: str, run: str, version: int | None) -> BulletinVersion:
        found = ctx.bulletins.released(cycle, run, version)
        if found is None:
            what = f"bulletin {cycle}/{run}" + (f" version {version}" if version else "")
            raise ApiProblem(404, f"no released {what} (drafts are not public)")
        return found

    @api.get(
        "/v1/bulletins/{cycle}/{run}.{fmt}",
        response_class=Response,
        responses=FORMAT_RESPONSES,
        summary="A released bulletin (id = run id) as JSON, HTML, plain text or a PNG card",
    )
    def get_bulletin_file(
        request: Request,
        cycle: Cycle,
        run: RunName,
        fmt: Format,
        version: VersionQuery = None,
        region: RegionQuery = 1,
        lang: LangQuery = None,
        accept_language: AcceptLanguage = None,
    ) -> Response:
        found = released(cycle, run, version)
        _check_region(found, fmt, region)
        chosen = choose_lang(lang, accept_language)
        path = found.folder / file_name(fmt, chosen, region)
        if not path.is_file():
            raise ApiProblem(404, f"bulletin {found.id} version {found.version} has no {path.name}")
        rep = ctx.file_representation(path, MEDIA[fmt], max_age, lang=None if fmt == "json" else chosen)
        return rep.respond(request)

    @api.get(
        "/v1/bulletins/{cycle}/{run}",
        response_class=Response,
        responses={200: {"model": BulletinSummary, "description": "the bulletin"}, **PROBLEM_RESPONSES},
        summary="A released bulletin by id (the run id, e.g. 2026-11-25T00Z/forecast-v1) and version",
    )
    def get_bulletin(request: Request, cycle: Cycle, run: RunName, version: VersionQuery = None) -> Response:
        found = released(cycle, run, version)
        body = json_bytes(summary(ctx, found))
        mtime = found.folder.stat().st_mtime
        return ctx.representation(body, JSON, max_age, last_modified=mtime).respond(request)

    @api.get(
        "/v1/feed.atom",
        response_class=Response,
        responses={
            200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}}, "description": "Atom feed"},
            **PROBLEM_RESPONSES,
        },  # fmt: skip
        summary="Atom feed of the released bulletins (newest 50)",
    )
    def feed(request: Request, lang: LangQuery = None, accept_language: AcceptLanguage = None) -> Response:
        chosen = choose_lang(lang, accept_language)
        versions = list(islice(ctx.bulletins.newest_first(), FEED_ENTRIES))
        body = bulletin_feed(versions, ctx.link, chosen)
        return ctx.representation(body, "application/atom+xml", max_age, lang=chosen).respond(request)

    return api
