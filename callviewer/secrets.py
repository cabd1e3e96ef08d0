"""API keys, held only in the OS keyring.

`Secret` wraps a key so that printing, logging or formatting it never shows it. The key store talks
to `keyring` and refuses plaintext or "fail" backends with one message that says how to fix it.
Keyring calls block (D-Bus); the window runs them through `asyncio.to_thread`.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from callviewer.errors import KeyringUnavailable, MissingKey

SERVICE = "callviewer"

_FIX_HINT = (
    "no usable OS keyring: callviewer keeps API keys only in the system keyring. "
    "On Linux start a Secret Service (GNOME Keyring or KWallet) in your desktop session "
    "(e.g. `apt install gnome-keyring` and log in again); on macOS and Windows the built-in "
    "Keychain / Credential Locker is used. Plaintext key files are never used."
)


class Secret:
    """An API key that hides itself from repr/str/format. Use `.reveal()` where it must be sent."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = (value or "").strip()
        if not value:
            raise ValueError("empty API key")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # never pickled into caches or crash dumps
        raise TypeError("Secret cannot be pickled")


class KeyStore(Protocol):
    def get(self, account: str) -> Secret: ...
    def set(self, account: str, key: Secret) -> None: ...
    def delete(self, account: str) -> None: ...


def _entry(profile_id: str, account: str) -> str:
    # One profile's "prod" must not collide with another profile's "prod".
    return f"{profile_id}:{account}"


_REFUSED_BACKENDS = ("fail", "null", "plaintext", "keyrings.alt", "chainer")


def backend_name(backend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _priority(backend) -> float:
    try:
        return float(getattr(backend, "priority", 0))
    except Exception:  # some backends raise when probed without their service
        return 0.0


def is_os_keyring(backend) -> bool:
    """True for a real OS keyring (Secret Service, KWallet, Keychain, Credential Locker...)."""
    name = backend_name(backend).lower()
    return _priority(backend) > 0 and not any(bad in name for bad in _REFUSED_BACKENDS)


def os_backend(backend):
    """The OS keyring keys go to and come from: `backend` itself when it is one.

    keyring's ChainerBackend (what keyring picks when several backends are installed, e.g.
    keyrings.alt beside the Secret Service) would read from and write to all of them; of its
    backends the best OS keyring is used directly, and the others never. Raises
    KeyringUnavailable when there is no OS keyring."""
    if "chainer" in backend_name(backend).lower():
        subs = [b for b in getattr(backend, "backends", None) or [] if is_os_keyring(b)]
        if not subs:
            raise KeyringUnavailable(_FIX_HINT)
        return max(subs, key=_priority)
    if not is_os_keyring(backend):
        raise KeyringUnavailable(_FIX_HINT)
    return backend


def check_backend(backend) -> None:
    """Raise KeyringUnavailable unless `backend` is (or chains) a real OS keyring."""
    os_backend(backend)


def _describe_keyring() -> str:
    try:
        import keyring
    except ImportError:
        return "none usable: the keyring package is not installed"
    try:
        backend = keyring.get_keyring()
    except Exception as e:
        return f"none usable: probing the backends failed ({type(e).__name__})"
    name = backend_name(backend)
    chained = [b for b in getattr(backend, "backends", None) or []
               if "fail" not in backend_name(b).lower()] if "chainer" in name.lower() else []
    try:
        used = os_backend(backend)
    except KeyringUnavailable:
        if "fail" in name.lower() or ("chainer" in name.lower() and not chained):
            return "none usable: no OS keyring found (no Secret Service, Keychain or Credential Locker)"
        shown = ", ".join(backend_name(b) for b in chained) if chained else name
        return f"none usable: {shown} is not an OS keyring (callviewer never keeps keys in files)"
    except Exception as e:
        return f"none usable: checking {name} failed ({type(e).__name__})"
    if used is backend:
        return name
    unused = [backend_name(b) for b in chained if b is not used]
    return backend_name(used) + (f" (not used: {', '.join(unused)})" if unused else "")


def describe_keyring(timeout: float = 5.0) -> str:
    """The keyring backend API keys go to, e.g. "keyring.backends.SecretService.Keyring", or
    "none usable: <reason>". Never raises, and gives up after `timeout` seconds (a keyring
    daemon that does not answer on D-Bus)."""

    result: list[str] = []

    def probe() -> None:
        try:
            result.append(_describe_keyring())
        except BaseException as e:  # noqa: BLE001 - a description must never fail
            result.append(f"none usable: {type(e).__name__}")

    t = threading.Thread(target=probe, name="callviewer-keyring-probe", daemon=True)
    t.start()
    t.join(timeout)
    return result[0] if result else f"none usable: the keyring did not answer within {timeout:g} s"


#: One keyring call at a time in this process: syncs read their accounts' keys on threads, and
#: concurrent Secret Service calls were seen (once in four nine-account syncs) to fail with
#: secretstorage's ItemNotFoundException for an item that was there.
_KEYRING_LOCK = threading.Lock()


class OsKeyStore:
    """Keys in the OS keyring, under service "callviewer", one entry per profile and account.

    A backend error that is not one of keyring's own (secretstorage's, D-Bus's) is tried once
    more, then reported like keyring's, as `KeyringUnavailable`: never an internal error.
    """

    def __init__(self, profile_id: str) -> None:
        self._profile_id = profile_id
        self._backend = None

    def _keyring(self):
        """(the OS keyring backend, keyring.errors); see `os_backend`."""
        import keyring  # imported lazily: probing backends is slow and touches D-Bus
        import keyring.errors

        if self._backend is None:
            self._backend = os_backend(keyring.get_keyring())
        return self._backend, keyring.errors

    def backend_description(self) -> str:
        """The backend in use, or "none usable: <reason>" (blocks: call it off the UI thread)."""
        return describe_keyring()

    def _call(self, what: str, fn, *args):
        """`fn(*args)` on the backend, serialized, with one more try on a backend's own error."""
        import keyring.errors

        for attempt in (1, 2):
            try:
                with _KEYRING_LOCK:
                    return fn(*args)
            except keyring.errors.PasswordDeleteError:
                raise
            except keyring.errors.KeyringError as e:
                raise KeyringUnavailable(f"the OS keyring refused to {what}: {type(e).__name__}") from None
            except Exception as e:  # (secretstorage's, jeepney's: the Secret Service itself)
                if attempt == 2:
                    raise KeyringUnavailable(f"the OS keyring failed to {what}: {type(e).__name__}") from None
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def get(self, account: str) -> Secret:
        backend, _errors = self._keyring()
        value = self._call("read the key", backend.get_password, SERVICE,
                           _entry(self._profile_id, account))
        if not value:
            raise MissingKey(f"no API key for account {account!r} in the OS keyring; add it again with "
                             f"`callviewer accounts add {account} --provider ...`")
        return Secret(value)

    def set(self, account: str, key: Secret) -> None:
        backend, _errors = self._keyring()
        self._call("store the key", backend.set_password, SERVICE, _entry(self._profile_id, account),
                   key.reveal())

    def delete(self, account: str) -> None:
        backend, errors = self._keyring()
        try:
            self._call("delete the key", backend.delete_password, SERVICE,
                       _entry(self._profile_id, account))
        except errors.PasswordDeleteError:
            pass  # already gone


class MemoryKeyStore:
    """Keys held in memory only: for the demo profile, whose keys are throwaway simulator keys."""

    def __init__(self, keys: dict[str, str] | None = None) -> None:
        self._keys = {k: Secret(v) for k, v in (keys or {}).items()}

    def backend_description(self) -> str:
        return "in memory (demo)"

    def get(self, account: str) -> Secret:
        try:
            return self._keys[account]
        except KeyError:
            raise MissingKey(f"no API key for account {account!r}") from None

    def set(self, account: str, key: Secret) -> None:
        self._keys[account] = key

    def delete(self, account: str) -> None:
        self._keys.pop(account, None)
