"""The built dashboard (`frontend/dist`) served at `/`, beside the API.

Vite names every file under `assets/` after a hash of its content, so those are cached for a
year; `index.html` names the current ones and is revalidated on every load. Any other path
that is not a file is a client-side route and gets `index.html`, except the API's own paths,
which keep their JSON 404. Text files go out gzipped to clients that take it (the bundle
shrinks to about a third); the API's answers are left as they are.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

# The checkout's build output; an installed package has none (set UI_DIST_DIR).
DEFAULT_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Each client fetches a hashed asset once; at level 6 the 370 kB bundle shrinks to 30 % in
# ~30 ms, level 9 takes twice that to save 0.1 % more.
GZIP_LEVEL = 6
# Root paths that belong to the server, never to the dashboard's router.
RESERVED = frozenset({"api", "docs", "redoc", "openapi.json", "health", "ready", "metrics"})

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tradebot</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>tradebot</h1>
<p>The API is running, but the dashboard has not been built.</p>
<p>Build it with <code>make ui</code> (or run everything with <code>make run</code>), then
reload this page. The API itself is under <a href="/api/v1/openapi.json">/api/v1</a>.</p>
</body></html>
"""


def _not_found() -> StarletteHTTPException:
    return StarletteHTTPException(status_code=404, detail="Not Found")


def _inside(root: Path, path: str) -> Path | None:
    """The file `path` names under `root`, or None (missing, a directory, or outside it)."""
    try:
        candidate = (root / path).resolve()
    except (OSError, ValueError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def mount_ui(app: FastAPI, dist_dir: Path | None = None) -> None:
    """Serve the dashboard from `dist_dir` for every GET that no route of the app matches.

    It is the router's fallback, not a catch-all route: a wrong method on an API path stays
    a 405 and an unknown API path a JSON 404, whatever order routes are added in.
    """
    root = (dist_dir or DEFAULT_DIST).resolve()
    not_found = app.router.default

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await not_found(scope, receive, send)
            return
        path = scope["path"].removeprefix(scope.get("root_path", "")).lstrip("/")
        response = _respond(root, path)
        await response(scope, receive, send)

    # Compressed here rather than app-wide: what comes through this fallback is the UI only.
    app.router.default = GZipMiddleware(fallback, compresslevel=GZIP_LEVEL)


def _respond(root: Path, path: str) -> Response:
    first = path.split("/", 1)[0]
    if first in RESERVED:
        raise _not_found()
    index = root / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
    if path and path != "index.html":
        found = _inside(root, path)
        if found is not None:
            cache = IMMUTABLE if first == "assets" else REVALIDATE
            return FileResponse(found, headers={"Cache-Control": cache})
        # A missing file (anything under assets/, or a name with an extension) is a 404, not
        # the page: a stale cached index asking for an old hash must not be answered with HTML.
        if first == "assets" or "." in path.rsplit("/", 1)[-1]:
            raise _not_found()
    return FileResponse(index, headers={"Cache-Control": REVALIDATE})
