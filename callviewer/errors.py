"""Errors a user can be shown. Each message is one clear line and never contains a key."""

from __future__ import annotations


class CallviewerError(Exception):
    """Base of every foreseeable failure; `str(err)` is the one-line message for the user."""

    #: Short machine-readable state, used for the account's sync state in the UI.
    state = "error"


class UsageError(CallviewerError):
    """Bad input from the user (unknown account, malformed date, ...)."""


class ProfileError(CallviewerError):
    """The profile folder cannot be created, read or written."""


class KeyringUnavailable(CallviewerError):
    state = "keyring"


class MissingKey(CallviewerError):
    state = "no_key"


class ProviderError(CallviewerError):
    """The provider answered, but not with what we asked for."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KeyRejected(ProviderError):
    state = "key_rejected"


class NotFound(ProviderError):
    state = "not_found"


class RateLimited(ProviderError):
    state = "rate_limited"


class Offline(ProviderError):
    """The provider could not be reached at all (DNS, refused, timeouts after retries)."""

    state = "offline"


class CutShort(Offline):
    """The connection broke during the provider's answer, each time it was asked for. A sync
    counts it against that one call when the list is being read fine (the network is up)."""


class BadPayload(ProviderError):
    """A response body that is not the JSON the API documents."""


class NormalizeError(CallviewerError):
    """A provider payload that could not be turned into a normalized call."""

    def __init__(self, call_id: str | None, message: str) -> None:
        super().__init__(f"call {call_id or '?'}: {message}")
        self.call_id = call_id


class MissingCallId(NormalizeError):
    """A payload without the call's id (a sync that listed the call knows it: see writer.py)."""

    def __init__(self) -> None:
        super().__init__(None, "no call id")


class RecordingError(CallviewerError):
    """No recording, an expired link, a refused URL or a file that is not audio."""


class Cancelled(CallviewerError):
    state = "cancelled"


def error_text(err: BaseException) -> str:
    """One line for the user: a CallviewerError's own message, else a short generic one."""
    if isinstance(err, CallviewerError):
        text = str(err).strip() or type(err).__name__
    elif isinstance(err, ValueError) and "empty API key" in str(err):
        text = "Enter the API key."
    else:
        text = f"Unexpected error ({type(err).__name__}); details are in the log."
    return text[:1].upper() + text[1:]
