"""qBittorrent's WebAPI v2 as Sonarr, Radarr, Homepage and Homarr call it (reference: qbt_anchors §1–§5):
text answers where qBittorrent answers text (`Ok.`, `Fails.`, versions, its error words), JSON where it
answers JSON, its status codes (400 missing parameters, 403 no session, 404 unknown hash, 405 wrong method,
409 conflicts, 415 not a torrent). Reads accept GET and POST, writes POST only; forms url-encoded or
multipart; booleans in any case."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from libs.web import ascii_int, json_response
from libs.web.forwarded import request_ip

from . import views
from .auth import Access
from .config import APP_VERSION, WEBAPI_VERSION
from .paths import PathRefused
from .torrents import (
    USE_GLOBAL,
    AddOptions,
    BadTorrent,
    Conflict,
    NewTorrent,
    ShareLimits,
    from_magnet,
    from_torrent_file,
    tag_list,
)
from .widget import widget_body

if TYPE_CHECKING:
    from .app import QbtShim

_HASH = re.compile(r"^[0-9a-fA-F]{40}$")
_NUMBER = re.compile(r"^\s*-?[0-9]{1,12}(\.[0-9]{1,12})?\s*$")
MAX_TORRENT_BYTES = 10 * 1024 * 1024
BUILD_INFO = {"qt": "6.4.2", "libtorrent": "2.0.10.0", "boost": "1.83.0", "openssl": "3.0.15", "bitness": 64}
PSEUDO_TRACKERS = [
    {"url": f"** [{name}] **", "status": 0, "tier": -1, "num_peers": 0, "num_seeds": 0, "num_leeches": 0,
     "num_downloaded": 0, "msg": ""}
    for name in ("DHT", "PeX", "LSD")
]  # fmt: skip
BANNED = "Your IP address has been banned after too many failed authentication attempts."


def text(body: str, status: int = 200) -> Response:
    return Response(body, status, media_type="text/plain; charset=UTF-8")  # qBittorrent's exact header


def _signed_int(raw: str) -> int | None:
    """qBittorrent's offset may be negative (from the end)."""
    value = ascii_int(raw.removeprefix("-"))
    return None if value is None else (-value if raw.startswith("-") else value)


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


class Params:
    """The query and the form of one call, read once; qBittorrent takes either."""

    def __init__(self, request: Request, form: FormData | None) -> None:
        self.shim: QbtShim = request.state.shim
        self.query = request.query_params
        self.form = form

    def get(self, name: str) -> str | None:
        if self.form is not None and name in self.form:
            value = self.form[name]
            return value if isinstance(value, str) else None
        return self.query.get(name)

    def uploads(self) -> list[UploadFile]:
        """Every file of the form, whatever its part is named — as qBittorrent reads them: Sonarr names the
        part `torrents`, qbittorrent-api `torrent__1`…, @ctrl/qbittorrent (Homarr) `file`."""
        if self.form is None:
            return []
        return [value for _, value in self.form.multi_items() if isinstance(value, UploadFile)]

    def number(self, name: str, default: float | None = None) -> float | None:
        """A decimal parameter (qBittorrent's ratios and minutes); the default when absent, None when it is not
        a number — where qBittorrent would quietly take 0, the shim says 400."""
        raw = self.get(name)
        if raw is None or raw == "":
            return default
        return float(raw) if _NUMBER.match(raw) else None

    def share_limits(self, required: bool) -> ShareLimits | None:
        """`ratioLimit`, `seedingTimeLimit` (both required by `setShareLimits`), `inactiveSeedingTimeLimit`."""
        default = None if required else USE_GLOBAL
        ratio, seeding = self.number("ratioLimit", default), self.number("seedingTimeLimit", default)
        inactive = self.number("inactiveSeedingTimeLimit", USE_GLOBAL)
        if ratio is None or seeding is None or inactive is None:
            return None
        return ShareLimits.clamped(ratio, int(seeding), int(inactive))

    def hashes(self, name: str = "hashes") -> list[str] | bool | None:
        """The `|`-separated hashes (lowercase); None for `all`; False when the parameter is missing."""
        raw = self.get(name)
        if raw is None:
            return False
        if raw.strip().lower() == "all":
            return None
        return [h.lower() for h in raw.split("|") if _HASH.match(h.strip())]


def endpoint(handler, *, write: bool = False, public: bool = False):
    async def wrapped(request: Request) -> Response:
        shim: QbtShim = request.state.shim
        if not public:
            access = shim.gate.check(
                request_ip(request, shim.settings.trusted_proxies),
                request.cookies.get("SID"),
                request.headers.get("authorization"),
            )
            if access is not Access.ALLOWED:
                return text(BANNED if access is Access.BANNED else "Forbidden", 403)
        if write and request.method != "POST":
            return text("Method Not Allowed", 405)
        form = await request.form(max_part_size=MAX_TORRENT_BYTES) if request.method == "POST" else None
        if form is not None and any("\x00" in value for value in form.values() if isinstance(value, str)):
            await form.close()
            return text("Bad Request", 400)  # PostgreSQL stores no NUL in text (multipart fields)
        try:
            return await handler(request, Params(request, form))
        finally:
            if form is not None:
                await form.close()

    return wrapped


async def login(request: Request, params: Params) -> Response:
    address = request_ip(request, params.shim.settings.trusted_proxies)
    if params.shim.gate.banned(address):
        return text(BANNED, 403)
    sid = params.shim.gate.login(address, params.get("username") or "", params.get("password") or "")
    if sid is None:
        return text("Fails.")
    response = text("Ok.")
    secure = "; Secure" if request.url.scheme == "https" else ""  # a Secure cookie is never sent over http
    # as qBittorrent sets it: no script reads it, no other site's page sends it
    response.headers["set-cookie"] = f"SID={sid}; HttpOnly; SameSite=Strict; path=/{secure}"
    return response


async def logout(request: Request, params: Params) -> Response:
    params.shim.gate.logout(request.cookies.get("SID"))
    return text("")


async def version(request: Request, params: Params) -> Response:
    return text(APP_VERSION)


async def webapi_version(request: Request, params: Params) -> Response:
    return text(WEBAPI_VERSION)


async def build_info(request: Request, params: Params) -> Response:
    return json_response(BUILD_INFO)


async def preferences(request: Request, params: Params) -> Response:
    shim = params.shim
    return json_response(views.preferences(shim.root, shim.settings.qbt_username, shim.config.downloads_at_once))


async def set_preferences(request: Request, params: Params) -> Response:
    return text("")  # accepted and ignored: the shim's behaviour is its own configuration


async def default_save_path(request: Request, params: Params) -> Response:
    return text(str(params.shim.root))


async def info(request: Request, params: Params) -> Response:
    hashes = params.hashes()
    limit = ascii_int(params.get("limit") or "0")
    offset = _signed_int(params.get("offset") or "0")
    if limit is None or offset is None:
        return text("Bad Request", 400)
    listed = await params.shim.torrents.info(
        filter=(params.get("filter") or "all").lower(),
        category=params.get("category"),
        tag=params.get("tag"),
        hashes=hashes if isinstance(hashes, list) else None,
        sort=params.get("sort"),
        reverse=truthy(params.get("reverse")),
        limit=limit,
        offset=offset,
    )
    return json_response(listed)


async def one(params: Params) -> tuple[Any, Response | None]:
    raw = params.get("hash")
    if raw is None:
        return None, text("Bad Request", 400)
    row = await params.shim.torrents.torrent(raw.lower()) if _HASH.match(raw) else None
    return row, (text("Not Found", 404) if row is None else None)


async def properties(request: Request, params: Params) -> Response:
    row, refusal = await one(params)
    return refusal or json_response(params.shim.torrents.properties(row))


async def files(request: Request, params: Params) -> Response:
    row, refusal = await one(params)
    return refusal or json_response(await params.shim.torrents.files(row))


def split_urls(raw: str | None) -> tuple[list[NewTorrent], list[str]]:
    """`urls`: the magnets (as torrents to add now) and the http(s) links (fetched after the answer, as
    qBittorrent does: a silent host holds nobody); anything else is ignored, as there."""
    magnets, links = [], []
    for url in (u.strip() for u in (raw or "").splitlines()):
        if url.startswith("magnet:") and (item := from_magnet(url)) is not None:
            magnets.append(item)
        elif url.startswith(("http://", "https://")):
            links.append(url)
    return magnets, links


def add_options(params: Params, limits: ShareLimits) -> AddOptions:
    return AddOptions(
        category=params.get("category") or "",
        savepath=params.get("savepath") or params.get("savePath"),
        tags=params.get("tags") or "",
        stopped=truthy(params.get("stopped")) or truthy(params.get("paused")),
        limits=limits,
    )


async def add(request: Request, params: Params) -> Response:
    limits = params.share_limits(required=False)
    if limits is None:
        return text("Bad Request", 400)
    items: list[NewTorrent] = []
    for upload in params.uploads():
        try:
            items.append(from_torrent_file(await upload.read(), upload.filename or "upload.torrent"))
        except BadTorrent as bad:
            return text(str(bad), 415)
    magnets, links = split_urls(params.get("urls"))
    items += magnets
    if not items and not links:
        return text("Fails.")
    options = add_options(params, limits)
    try:  # with links only too: what their torrents would be refused for is refused now, while someone hears it
        added = await params.shim.torrents.add(items, options)
    except PathRefused as refused:
        return text(str(refused), 400)
    except Conflict as conflict:
        return text(str(conflict), 409)
    if links and not params.shim.links.add_later(links, options):
        return text("Fails.")
    # as qBittorrent: `Ok.` when at least one torrent (or link) is taken, `Fails.` when all were already here
    return text("Ok." if added or links else "Fails.")


async def delete(request: Request, params: Params) -> Response:
    hashes = params.hashes()
    if hashes is False:
        return text("Bad Request", 400)
    # qBittorrent 5 wants deleteFiles; Sonarr leaves it out when not deleting data: missing means false
    await params.shim.torrents.delete(hashes, truthy(params.get("deleteFiles")))
    return text("")


async def bulk(params: Params, action) -> Response:
    hashes = params.hashes()
    if hashes is False:
        return text("Bad Request", 400)
    await action(hashes)
    return text("")


async def stop(request: Request, params: Params) -> Response:
    return await bulk(params, lambda h: params.shim.torrents.set_stopped(h, True))


async def start(request: Request, params: Params) -> Response:
    return await bulk(params, lambda h: params.shim.torrents.set_stopped(h, False))


async def accepted(request: Request, params: Params) -> Response:
    """Calls Sonarr makes after an add that mean nothing here (priorities, force start)."""
    if params.hashes() is False:
        return text("Bad Request", 400)
    return text("")


async def set_share_limits(request: Request, params: Params) -> Response:
    hashes, limits = params.hashes(), params.share_limits(required=True)
    if hashes is False or limits is None:
        return text("Bad Request", 400)
    await params.shim.torrents.set_share_limits(hashes, limits)
    return text("")


async def tagged(params: Params, action, *, hashes: bool = True, tags_required: bool = True) -> Response:
    """The tag calls: `hashes` (unless the call has none) and `tags` (comma-separated) required, except
    removeTags, whose missing `tags` means all of them."""
    chosen = params.hashes() if hashes else None
    raw = params.get("tags")
    if chosen is False or (raw is None and tags_required):
        return text("Bad Request", 400)
    await action(*([chosen] if hashes else []), None if raw is None else tag_list(raw))
    return text("")


async def add_tags(request: Request, params: Params) -> Response:
    return await tagged(params, params.shim.torrents.add_tags)


async def remove_tags(request: Request, params: Params) -> Response:
    return await tagged(params, params.shim.torrents.remove_tags, tags_required=False)


async def create_tags(request: Request, params: Params) -> Response:
    return await tagged(params, params.shim.torrents.create_tags, hashes=False)


async def delete_tags(request: Request, params: Params) -> Response:
    return await tagged(params, params.shim.torrents.delete_tags, hashes=False)


async def tags(request: Request, params: Params) -> Response:
    return json_response(await params.shim.torrents.tags())


async def categories(request: Request, params: Params) -> Response:
    return json_response(await params.shim.torrents.categories())


async def category_call(action, *args) -> Response:
    try:
        await action(*args)
    except ValueError as missing:  # PathRefused is one too: a save path outside the root
        return text(str(missing) or "Bad Request", 400)
    except Conflict as conflict:
        return text(str(conflict), 409)
    return text("")


async def create_category(request: Request, params: Params) -> Response:
    name = params.get("category")
    if name is None:
        return text("Bad Request", 400)
    return await category_call(params.shim.torrents.create_category, name.strip(), params.get("savePath") or "")


async def edit_category(request: Request, params: Params) -> Response:
    name = params.get("category")
    if name is None or params.get("savePath") is None:
        return text("Bad Request", 400)
    return await category_call(params.shim.torrents.edit_category, name.strip(), params.get("savePath") or "")


async def remove_categories(request: Request, params: Params) -> Response:
    names = params.get("categories")
    if names is None:
        return text("Bad Request", 400)
    await params.shim.torrents.remove_categories([n.strip() for n in names.splitlines()])
    return text("")


async def set_category(request: Request, params: Params) -> Response:
    hashes, category = params.hashes(), params.get("category")
    if hashes is False or category is None:
        return text("Bad Request", 400)
    return await category_call(params.shim.torrents.set_category, hashes, category.strip())


async def of_one(params: Params, answer: Any) -> Response:
    """`answer` for a torrent that is here (404 for another, 400 without `hash`)."""
    _, refusal = await one(params)
    return refusal or json_response(answer)


async def trackers(request: Request, params: Params) -> Response:
    # no tracker is asked (TorBox fetches the torrent): the DHT, PeX and LSD rows qBittorrent always
    # lists, status 0, "disabled" — what its WebAPI documents them as
    return await of_one(params, PSEUDO_TRACKERS)


async def webseeds(request: Request, params: Params) -> Response:
    return await of_one(params, [])


async def torrent_peers(request: Request, params: Params) -> Response:
    return await of_one(params, {"full_update": True, "rid": 1, "peers": {}, "show_flags": True})


async def maindata(request: Request, params: Params) -> Response:
    rid = ascii_int(params.get("rid") or "0")
    return json_response(await params.shim.maindata.answer(rid or 0))


async def transfer_info(request: Request, params: Params) -> Response:
    return json_response(await params.shim.maindata.transfer_info())


async def widget(request: Request, params: Params) -> Response:
    return json_response(widget_body(await params.shim.torrents.info()))


READ, WRITE = {"methods": ["GET", "POST"]}, {"methods": ["GET", "POST", "PUT", "DELETE", "PATCH"]}
TABLE: list[tuple[str, Any, bool, bool]] = [
    ("auth/login", login, False, True),
    ("auth/logout", logout, True, False),
    ("app/version", version, False, False),
    ("app/webapiVersion", webapi_version, False, False),
    ("app/buildInfo", build_info, False, False),
    ("app/preferences", preferences, False, False),
    ("app/setPreferences", set_preferences, True, False),
    ("app/defaultSavePath", default_save_path, False, False),
    ("torrents/info", info, False, False),
    ("torrents/properties", properties, False, False),
    ("torrents/files", files, False, False),
    ("torrents/add", add, True, False),
    ("torrents/delete", delete, True, False),
    ("torrents/stop", stop, True, False),
    ("torrents/pause", stop, True, False),
    ("torrents/start", start, True, False),
    ("torrents/resume", start, True, False),
    ("torrents/setShareLimits", set_share_limits, True, False),
    ("torrents/topPrio", accepted, True, False),
    ("torrents/bottomPrio", accepted, True, False),
    ("torrents/increasePrio", accepted, True, False),
    ("torrents/decreasePrio", accepted, True, False),
    ("torrents/setForceStart", accepted, True, False),
    ("torrents/addTags", add_tags, True, False),
    ("torrents/removeTags", remove_tags, True, False),
    ("torrents/createTags", create_tags, True, False),
    ("torrents/deleteTags", delete_tags, True, False),
    ("torrents/tags", tags, False, False),
    ("torrents/categories", categories, False, False),
    ("torrents/createCategory", create_category, True, False),
    ("torrents/editCategory", edit_category, True, False),
    ("torrents/removeCategories", remove_categories, True, False),
    ("torrents/setCategory", set_category, True, False),
    ("transfer/info", transfer_info, False, False),
    ("torrents/trackers", trackers, False, False),
    ("torrents/webseeds", webseeds, False, False),
    ("sync/torrentPeers", torrent_peers, False, False),
    ("sync/maindata", maindata, False, False),
]
ROUTES = [
    Mount(
        "/api/v2",
        routes=[
            Route(f"/{path}", endpoint(handler, write=is_write, public=public), **(WRITE if is_write else READ))
            for path, handler, is_write, public in TABLE
        ],
    ),
    Route("/widget", endpoint(widget), methods=["GET"]),
]
