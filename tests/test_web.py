"""The dashboard served at `/`: cache headers, client-side routes, the API's 404s kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tradebot.app import create_app
from tradebot.config import Settings
from tradebot.web import IMMUTABLE, REVALIDATE

INDEX = "<!doctype html><div id=root></div><script src=/assets/index-abc123.js></script>"
BUNDLE = "export function render(bots) { return bots.map((b) => b.name); }\n" * 40


def _dist(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('ui')")
    (root / "assets" / "vendor-def456.js").write_text(BUNDLE)
    (root / "assets" / "logo-0a1b2c.png").write_bytes(b"\x89PNG" + bytes(2000))
    (root / "favicon.svg").write_text("<svg/>")
    return root


async def _client(dist: Path) -> httpx.AsyncClient:
    # Static serving needs no database or Redis: the app is used without its lifespan.
    app = create_app(Settings(_env_file=None, UI_DIST_DIR=dist))  # type: ignore[call-arg]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def ui(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(_dist(tmp_path / "dist")) as c:
        yield c


async def test_index_is_served_at_the_root_and_revalidated(ui: httpx.AsyncClient) -> None:
    r = await ui.get("/")
    assert r.status_code == 200 and r.text == INDEX
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == REVALIDATE


async def test_hashed_assets_are_cached_for_a_year(ui: httpx.AsyncClient) -> None:
    r = await ui.get("/assets/index-abc123.js")
    assert r.status_code == 200 and r.text == "console.log('ui')"
    assert r.headers["cache-control"] == IMMUTABLE
    assert "javascript" in r.headers["content-type"]
    head = await ui.head("/assets/index-abc123.js")
    assert head.status_code == 200 and head.content == b""


async def test_text_assets_are_gzipped_for_clients_that_take_it(ui: httpx.AsyncClient) -> None:
    r = await ui.get("/assets/vendor-def456.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.text == BUNDLE  # httpx has unzipped it
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < len(BUNDLE) / 5
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["cache-control"] == IMMUTABLE

    plain = await ui.get("/assets/vendor-def456.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == BUNDLE
    assert plain.headers["vary"] == "Accept-Encoding"  # a cache keeps both apart


async def test_index_is_gzipped_and_still_revalidated(
    ui: httpx.AsyncClient, tmp_path: Path
) -> None:
    (tmp_path / "dist" / "index.html").write_text(INDEX + BUNDLE)  # a real index is > 500 bytes
    for path in ("/", "/bots/12"):
        r = await ui.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert r.headers["content-encoding"] == "gzip" and r.text == INDEX + BUNDLE
        assert r.headers["cache-control"] == REVALIDATE


async def test_what_is_compressed_already_or_tiny_or_the_api_is_sent_as_it_is(
    ui: httpx.AsyncClient,
) -> None:
    gzip = {"Accept-Encoding": "gzip"}
    png = await ui.get("/assets/logo-0a1b2c.png", headers=gzip)
    assert png.status_code == 200 and "content-encoding" not in png.headers
    tiny = await ui.get("/assets/index-abc123.js", headers=gzip)
    assert "content-encoding" not in tiny.headers
    spec = await ui.get("/api/v1/openapi.json", headers=gzip)
    assert spec.status_code == 200 and len(spec.content) > 500
    assert "content-encoding" not in spec.headers


async def test_unhashed_root_files_are_revalidated(ui: httpx.AsyncClient) -> None:
    r = await ui.get("/favicon.svg")
    assert r.status_code == 200 and r.headers["cache-control"] == REVALIDATE


@pytest.mark.parametrize("path", ["/bots/12", "/bots/new", "/login", "/api-keys", "/x/y/z"])
async def test_client_side_routes_fall_back_to_the_index(ui: httpx.AsyncClient, path: str) -> None:
    r = await ui.get(path)
    assert r.status_code == 200 and r.text == INDEX
    assert r.headers["cache-control"] == REVALIDATE


@pytest.mark.parametrize("path", ["/assets/index-old999.js", "/assets/", "/missing.png"])
async def test_missing_files_are_404_not_the_page(ui: httpx.AsyncClient, path: str) -> None:
    r = await ui.get(path)
    assert r.status_code == 404 and r.json()["error"] == "not_found"


@pytest.mark.parametrize(
    # (/health and /ready answer at the root themselves: tests/test_openapi.py)
    "path",
    ["/api/v1/nope", "/api/anything", "/api", "/docs/x", "/metrics/x"],
)
async def test_server_paths_keep_their_json_404(ui: httpx.AsyncClient, path: str) -> None:
    r = await ui.get(path)
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "detail": "Not Found"}


async def test_api_routes_and_methods_are_untouched(ui: httpx.AsyncClient) -> None:
    # A wrong method on an API path stays a 405, an unknown method elsewhere is no page.
    assert (await ui.delete("/api/v1/auth/login")).status_code == 405
    assert (await ui.post("/api/v1/nope")).status_code == 404
    assert (await ui.post("/bots/1")).status_code == 404
    spec = (await ui.get("/api/v1/openapi.json")).json()
    assert "/" not in spec["paths"] and "/{path}" not in spec["paths"]
    assert (await ui.get("/docs", follow_redirects=True)).status_code == 200


async def test_nothing_outside_the_build_is_served(ui: httpx.AsyncClient, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        r = await ui.get(path)
        assert "outside" not in r.text


async def test_without_a_build_the_root_says_how_to_build(tmp_path: Path) -> None:
    async with await _client(tmp_path / "not-built") as c:
        r = await c.get("/")
        assert r.status_code == 503 and "make ui" in r.text
        assert r.headers["content-type"].startswith("text/html")
        assert (await c.get("/bots/3")).status_code == 503
        assert (await c.get("/api/v1/nope")).status_code == 404
        # Built while the API runs: served from the next request on, no restart.
        _dist(tmp_path / "not-built")
        assert (await c.get("/")).text == INDEX
