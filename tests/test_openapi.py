"""The OpenAPI document tells the truth, and its docs work with no network and at the root."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture
async def root(app: object) -> Any:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _document(root: httpx.AsyncClient) -> dict[str, Any]:
    r = await root.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in doc["paths"].items() for m, op in ops.items()]


async def test_422_is_the_real_error_body(root: httpx.AsyncClient, alice: Any) -> None:
    doc = await _document(root)
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["ErrorOut"]["required"]) == {"error", "detail"}
    assert set(schemas["FieldError"]["required"]) == {"field", "reason"}
    with_input = [
        op for _, _, op in _operations(doc) if op.get("parameters") or "requestBody" in op
    ]
    assert with_input
    for op in with_input:
        ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/ErrorOut"
    # and that is what a 422 looks like
    r = await alice.request("POST", "/bots", json={"name": ""})
    body = r.json()
    assert r.status_code == 422 and set(body) == {"error", "detail", "errors"}
    assert all(set(e) == {"field", "reason"} for e in body["errors"])


async def test_errors_are_documented_where_they_can_happen(root: httpx.AsyncClient) -> None:
    ops = {(m, p): set(op["responses"]) for m, p, op in _operations(await _document(root))}
    expected = {
        ("POST", "/api/v1/auth/register"): {"409"},
        ("POST", "/api/v1/auth/login"): {"401", "429"},
        ("GET", "/api/v1/bots/{bot_id}"): {"401", "404"},
        ("PATCH", "/api/v1/bots/{bot_id}"): {"401", "404", "409"},
        ("DELETE", "/api/v1/bots/{bot_id}"): {"404", "409"},
        ("DELETE", "/api/v1/api-keys/{key_id}"): {"404", "409"},
        ("POST", "/api/v1/api-keys/{key_id}/validate"): {"404", "429", "503"},
        ("GET", "/api/v1/trades"): {"401", "404"},
        ("GET", "/api/v1/health"): {"429"},
        ("GET", "/api/v1/ready"): {"429", "503"},
    }
    for key, codes in expected.items():
        assert codes <= ops[key], key
    assert all("500" in codes for codes in ops.values())


async def test_protected_operations_name_bearer_and_cookie(root: httpx.AsyncClient) -> None:
    doc = await _document(root)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "`access_token` from /auth/login",
    }
    assert schemes["APIKeyCookie"]["in"] == "cookie"
    assert schemes["APIKeyCookie"]["name"] == "tradebot_session"
    public = {"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/logout"}
    public |= {"/api/v1/health", "/api/v1/ready"}
    for method, path, op in _operations(doc):
        if path in public:
            assert "security" not in op, (method, path)
        else:
            assert op["security"] == [{"HTTPBearer": []}, {"APIKeyCookie": []}], (method, path)
            assert "401" in op["responses"]


async def test_status_streams_are_described_as_event_streams(root: httpx.AsyncClient) -> None:
    doc = await _document(root)
    for path in ("/api/v1/bots/status-stream", "/api/v1/bots/{bot_id}/status-stream"):
        ok = doc["paths"][path]["get"]["responses"]["200"]
        assert list(ok["content"]) == ["text/event-stream"]
        assert "snapshot" in ok["description"]


async def test_docs_need_no_network(root: httpx.AsyncClient) -> None:
    for page in ("/api/v1/docs", "/api/v1/redoc"):
        r = await root.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "cdn" not in r.text.lower() and "https://" not in r.text
        assets = [
            part.split('"')[0] for part in r.text.split('src="')[1:] + r.text.split('href="')[1:]
        ]
        assets = [a for a in assets if a.startswith("/")]
        assert assets, page
        for asset in assets:
            got = await root.get(asset)
            assert got.status_code == 200 and len(got.content) > 1000, asset
    # Swagger UI 5 or later renders OpenAPI 3.1 (4.x shows an error for it)
    js = (await root.get("/api/v1/docs/assets/swagger-ui-bundle.js")).text
    assert (await _document(root))["openapi"].startswith("3.1")
    assert "swagger-ui" in js.lower()


async def test_health_openapi_and_docs_answer_at_the_root(root: httpx.AsyncClient) -> None:
    r = await root.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    for path in ("/openapi.json", "/docs", "/redoc"):
        r = await root.get(path, follow_redirects=True)
        assert r.status_code == 200, path
        assert str(r.url).startswith("http://testserver/api/v1/"), path
    assert (await root.get("/openapi.json", follow_redirects=True)).json()["info"]["title"]
    # the root itself is the web dashboard's (tests/test_web.py), not an API path
    spec = (await root.get("/api/v1/openapi.json")).json()
    assert "/" not in spec["paths"]
