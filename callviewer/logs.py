"""Logging to a rotating file under the profile, with a filter that redacts credentials."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

#: `name: value`, `name=value`, `'name': 'value'` (dict reprs) and `('name', 'value')` (header lists)
_SEP = r"['\"]?\s*(?:[:=]|,\s*(?=b?['\"]))\s*(?:b?['\"])?"
_PATTERNS = [
    # Authorization: Bearer xxx / api-key: xxx / x-api-key=xxx, in headers, dict reprs or text
    re.compile(r"(?i)(authorization" + _SEP + r"(?:bearer|basic|token)?\s*)([^\s'\",}]+)"),
    re.compile(r"(?i)((?:x-)?api[-_]?key" + _SEP + r")([^\s'\",}&]+)"),
    # a bearer token wherever it appears
    re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]{4,})"),
    # key-like query parameters
    re.compile(r"(?i)([?&](?:api[-_]?key|apikey|key|token|access_token|auth|secret|signature|"
               r"x-amz-signature|x-amz-credential|x-amz-security-token|sig)=)([^&\s'\"]+)"),
]


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for pat in _PATTERNS:
        text = pat.sub(lambda m: m.group(1) + "[REDACTED]", text)
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "[REDACTED]")
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with credentials removed."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact(message, tuple(self.secrets))
        record.args = ()
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted, tuple(self.secrets))
            record.exc_info = None
        return True


_FILTER = RedactingFilter()


def remember_secret(value: str) -> None:
    """Also redact this exact value (a key in use this session) wherever it might appear."""
    _FILTER.secrets.add(value)


def setup_logging(logs_dir: Path | None, *, debug: bool = False) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_callviewer", False):
            root.removeHandler(h)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logs_dir is not None:
        logs_dir.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
            logs_dir / "callviewer.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        fh.setFormatter(fmt)
        fh.addFilter(_FILTER)
        fh._callviewer = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    if debug:
        sh = logging.StreamHandler()
        sh.setFormatter(fmt)
        sh.addFilter(_FILTER)
        sh._callviewer = True  # type: ignore[attr-defined]
        root.addHandler(sh)
    # httpx logs every request at INFO; keep it for --debug only.
    logging.getLogger("httpx").setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.INFO if debug else logging.WARNING)
