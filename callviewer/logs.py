"""Logging to a rotating file under the profile, with a filter that redacts credentials."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

LOG_MAX_BYTES = 2_000_000
LOG_BACKUPS = 5

#: `name: value`, `name=value`, `'name': 'value'` (dict reprs) and `('name', 'value')` (header lists)
_SEP = r"['\"]?\s*(?:[:=]|,\s*(?=b?['\"]))\s*(?:b?['\"])?"
_SOURCES = [
    # Authorization: Bearer xxx / api-key: xxx / x-api-key=xxx, in headers, dict reprs or text
    r"(?i)(authorization" + _SEP + r"(?:bearer|basic|token)?\s*)([^\s'\",}]+)",
    r"(?i)((?:x-)?api[-_]?key" + _SEP + r")([^\s'\",}&]+)",
    # a bearer token wherever it appears
    r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]{4,})",
    # key-like query parameters
    r"(?i)([?&](?:api[-_]?key|apikey|key|token|access_token|auth|secret|signature|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token|sig)=)([^&\s'\"]+)",
]
#: Each pattern needs one of these in the (lowercased) text: text with none of them is left alone
#: without running the patterns (which are compiled when first needed: not at start-up).
_HINTS = ("authorization", "api", "bearer", "=")
_patterns: tuple[re.Pattern[str], ...] | None = None


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    global _patterns
    lowered = text.lower()
    if any(h in lowered for h in _HINTS):
        if _patterns is None:
            _patterns = tuple(re.compile(src) for src in _SOURCES)
        for pat in _patterns:
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


def without_secrets(text: str) -> str:
    """`text` (a provider's own words, say) with credentials and the keys in use removed."""
    return redact(text, tuple(_FILTER.secrets))


class RotatingFile(logging.FileHandler):
    """`logging.handlers.RotatingFileHandler`'s rotation by size (callviewer.log, .1 ... .N),
    without importing logging.handlers (socket, pickle, queue: ~8 ms of the window's start)."""

    def __init__(self, path: Path, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._rotate()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def _rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # type: ignore[assignment]
        base = self.baseFilename
        for i in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{i}"):
                os.replace(f"{base}.{i}", f"{base}.{i + 1}")
        if os.path.exists(base):
            os.replace(base, f"{base}.1")
        self.stream = self._open()


def setup_logging(logs_dir: Path | None, *, debug: bool = False) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_callviewer", False):
            root.removeHandler(h)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A log file that can't be written later (a full disk) must not print tracebacks.
    logging.raiseExceptions = False
    if logs_dir is not None:
        path = logs_dir / "callviewer.log"
        try:
            logs_dir.mkdir(parents=True, exist_ok=True)
            fh = RotatingFile(path)
        except OSError as e:  # (left by another user, a folder in its place: go on without it)
            print(f"callviewer: cannot write the log file {path} ({e.strerror or e}); "
                  "going on without it", file=sys.stderr)
        else:
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
