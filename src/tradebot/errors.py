"""Domain errors and their HTTP form: every error body names what went wrong and why."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class FieldError(BaseModel):
    field: str
    reason: str


class ErrorOut(BaseModel):
    """Every error body: a code, a sentence, and for input errors each field and why."""

    error: str
    detail: str
    errors: list[FieldError] | None = None


class DomainError(Exception):
    """An error a client can act on; `status` is its HTTP status."""

    status = 400
    code = "bad_request"
    description = "The request cannot be carried out as it is"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = (
            errors
            if errors is not None
            else ([{"field": field, "reason": detail}] if field else None)
        )
        self.headers = headers


class NotFound(DomainError):
    status = 404
    code = "not_found"
    description = "No such resource of the caller's (another user's looks the same)"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    description = "The resource's current state does not allow this"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    description = "Not signed in, or the token is invalid, expired or revoked"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    description = "Too many requests; `Retry-After` says when to try again"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"
    description = "A service this needs cannot be reached now; try again later"


class InvalidInput(DomainError):
    status = 422
    code = "validation_error"
    description = "The input is invalid: `errors` names each field and why"


def responses(*kinds: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an operation that can raise these errors, with their body."""
    return {k.status: {"model": ErrorOut, "description": k.description} for k in kinds}


@contextmanager
def exchange_errors(symbol_field: str = "symbol") -> Iterator[None]:
    """An exchange that cannot answer now as 429/503, an unknown symbol as 422."""
    from tradebot.exchange.errors import RateLimited, TemporaryError, UnknownSymbol

    try:
        yield
    except RateLimited as exc:
        raise TooManyRequests(
            "the exchange asks us to slow down; try again later",
            headers={"Retry-After": str(max(1, int(exc.retry_after)))},
        ) from None
    except TemporaryError:
        raise Unavailable("the exchange could not be reached; try again later") from None
    except UnknownSymbol:
        raise InvalidInput("the exchange does not list this symbol", field=symbol_field) from None


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "ema_fast")` -> `ema_fast`; nested locations joined with dots."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def invalid(errors: list[dict[str, str]]) -> InvalidInput:
    """One 422 naming every field that failed and why."""
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return InvalidInput(summary, errors=errors)


def validation_errors(errors: list[Any]) -> list[dict[str, str]]:
    """Pydantic errors as {field, reason}; the submitted value is never echoed back."""
    out = []
    for err in errors:
        reason = str(err.get("msg", "invalid"))
        reason = reason.removeprefix("Value error, ")
        out.append({"field": field_name(err.get("loc", ())), "reason": reason})
    return out


def _body(code: str, detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


class InternalErrors:
    """ASGI middleware: an unexpected exception becomes a JSON 500 in the error shape, with
    nothing of the exception in it, and is logged here.

    Starlette's own handler for `Exception` answers but then re-raises, and the server
    closes the keep-alive connection; this one returns normally so the connection stays
    usable. An exception after the response started (a broken stream) can only be logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                return
            response = JSONResponse(
                _body("internal_error", "the server failed to handle this request"), 500
            )
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the same JSON shape."""
    app.add_middleware(InternalErrors)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            _body(exc.code, exc.detail, exc.errors), exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return await _domain(_, invalid(validation_errors(list(exc.errors()))))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            400: "bad_request",
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
        }.get(exc.status_code, "error")
        return JSONResponse(
            _body(code, str(exc.detail)), exc.status_code, headers=getattr(exc, "headers", None)
        )
