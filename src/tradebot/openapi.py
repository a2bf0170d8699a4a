"""The OpenAPI document as the API really answers, and Swagger UI served from this process."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from tradebot.errors import ErrorOut

_ERROR_REF = "#/components/schemas/ErrorOut"
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
BAD_BODY = {
    "description": "The body could not be read as JSON text (not UTF-8, say)",
    "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}},
}
INTERNAL_ERROR = {
    "description": "An unexpected failure (logged); the body says nothing more",
    "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}},
}


def truthful(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents its own 422 body (`HTTPValidationError`); this API answers with
    `ErrorOut`, so every 422 refers to that; a body that is not text at all is a 400, and
    any operation may answer a JSON 500."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    defs = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(defs.pop("$defs", {}))
    components["ErrorOut"] = defs
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                for media in response.get("content", {}).values():
                    if media.get("schema", {}).get("$ref") == _FASTAPI_422:
                        media["schema"] = {"$ref": _ERROR_REF}
            if "requestBody" in operation:
                responses.setdefault("400", BAD_BODY)
            responses.setdefault("500", INTERNAL_ERROR)
    return schema


def install(app: FastAPI, prefix: str) -> None:
    """The document at `{prefix}/openapi.json`, Swagger UI at `{prefix}/docs` and ReDoc at
    `{prefix}/redoc` with their assets from the `fastapi-offline` wheel (no CDN, so they
    work offline); `/docs`, `/redoc` and `/openapi.json` at the root lead there."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    openapi_url = f"{prefix}/openapi.json"
    assets = f"{prefix}/docs/assets"
    app.mount(assets, StaticFiles(directory=str(files("fastapi_offline") / "static")), "docs")

    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
        )

    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            redoc_js_url=f"{assets}/redoc.standalone.js",
            redoc_favicon_url=f"{assets}/favicon.png",
            with_google_fonts=False,
        )

    async def document() -> dict[str, Any]:
        return openapi()

    app.add_api_route(openapi_url, document, include_in_schema=False)
    app.add_api_route(f"{prefix}/docs", swagger, include_in_schema=False)
    app.add_api_route(f"{prefix}/redoc", redoc, include_in_schema=False)
    for name in ("docs", "redoc", "openapi.json"):
        app.add_api_route(
            f"/{name}",
            _redirect(f"{prefix}/{name}"),
            include_in_schema=False,
            methods=["GET", "HEAD"],
        )


def _redirect(url: str) -> Any:
    async def redirect() -> RedirectResponse:
        return RedirectResponse(url, status_code=307)

    return redirect
