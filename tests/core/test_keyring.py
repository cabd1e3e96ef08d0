"""Keys in a real Secret Service (gnome-keyring in a private D-Bus session, set up by scripts/test)."""

from __future__ import annotations

import os
import uuid

import pytest

from callviewer.errors import KeyringUnavailable, MissingKey
from callviewer.secrets import OsKeyStore, Secret, check_backend

needs_secret_service = pytest.mark.skipif(
    not os.environ.get("CALLVIEWER_TEST_KEYRING"),
    reason="run through scripts/test, which starts a private gnome-keyring",
)


def test_secret_hides_itself():
    s = Secret("sk-live-canary-123456")
    for text in (repr(s), str(s), f"{s}", "%s" % s, repr([s]), repr({"k": s})):
        assert "canary" not in text
    assert s.reveal() == "sk-live-canary-123456"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(s)


def test_fail_and_plaintext_backends_are_refused():
    from keyring.backends import fail

    with pytest.raises(KeyringUnavailable) as err:
        check_backend(fail.Keyring())
    assert "keyring" in str(err.value).lower()

    class PlaintextKeyring:  # what keyrings.alt would offer: never used silently
        priority = 1

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    with pytest.raises(KeyringUnavailable):
        check_backend(PlaintextKeyring())


@needs_secret_service
def test_real_secret_service_round_trip():
    import keyring

    assert "SecretService" in type(keyring.get_keyring()).__name__ or "secretservice" in \
        type(keyring.get_keyring()).__module__.lower()
    store = OsKeyStore(uuid.uuid4().hex)
    store.set("prod", Secret("sk-test-roundtrip"))
    assert store.get("prod").reveal() == "sk-test-roundtrip"
    other_profile = OsKeyStore(uuid.uuid4().hex)
    with pytest.raises(MissingKey):
        other_profile.get("prod")
    store.delete("prod")
    with pytest.raises(MissingKey):
        store.get("prod")
    store.delete("prod")  # deleting twice is fine


class _Plaintext:
    """What keyrings.alt's PlaintextKeyring looks like to callviewer (keys in a dict here)."""

    priority = 0.5

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        self.data.pop((service, username), None)


_Plaintext.__module__ = "keyrings.alt.file"
_Plaintext.__qualname__ = "PlaintextKeyring"


def test_a_chain_without_an_os_keyring_is_refused():
    from keyring.backends import fail

    with pytest.raises(KeyringUnavailable):
        check_backend(_FakeChain([_Plaintext(), fail.Keyring()]))


class _FakeChain:
    priority = 10

    def __init__(self, backends) -> None:
        self.backends = backends


_FakeChain.__module__ = "keyring.backends.chainer"
_FakeChain.__qualname__ = "ChainerBackend"


@needs_secret_service
def test_keyrings_alt_beside_the_secret_service_is_left_alone(monkeypatch):
    """keyring chains every installed backend: callviewer then uses the Secret Service of the
    chain, and never reads from or writes to the plaintext one."""
    import keyring
    from keyring.backends import SecretService

    from callviewer.secrets import describe_keyring

    plain = _Plaintext()
    secret_service = SecretService.Keyring()
    chain = _FakeChain([plain, secret_service])
    monkeypatch.setattr(keyring, "get_keyring", lambda: chain)
    profile = uuid.uuid4().hex
    plain.set_password("callviewer", f"{profile}:prod", "sk-from-a-plaintext-file")
    store = OsKeyStore(profile)
    with pytest.raises(MissingKey):  # the plaintext file's key is not read
        store.get("prod")
    store.set("prod", Secret("sk-test-chain"))
    assert store.get("prod").reveal() == "sk-test-chain"
    assert secret_service.get_password("callviewer", f"{profile}:prod") == "sk-test-chain"
    assert plain.data == {("callviewer", f"{profile}:prod"): "sk-from-a-plaintext-file"}  # untouched
    store.delete("prod")
    assert describe_keyring() == ("keyring.backends.SecretService.Keyring "
                                  "(not used: keyrings.alt.file.PlaintextKeyring)")


@needs_secret_service
def test_many_threads_read_keys_at_once():
    """Syncs read their accounts' keys on threads at once (seen once: ItemNotFoundException
    from secretstorage in a nine-account sync): every read gets its key."""
    from concurrent.futures import ThreadPoolExecutor

    store = OsKeyStore(uuid.uuid4().hex)
    names = [f"acc-{i}" for i in range(9)]
    for n in names:
        store.set(n, Secret(f"sk-{n}"))
    try:
        with ThreadPoolExecutor(9) as pool:
            for _round in range(5):
                got = list(pool.map(lambda n: store.get(n).reveal(), names))
                assert got == [f"sk-{n}" for n in names]
    finally:
        for n in names:
            store.delete(n)


def test_a_backend_error_that_is_not_keyrings_is_tried_again_then_reported(monkeypatch):
    class ItemNotFoundException(Exception):  # (as secretstorage raises it)
        pass

    class Flaky:
        calls = 0

        def get_password(self, service, username):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ItemNotFoundException("Item does not exist!")
            return "sk-after-retry"

    class Broken:
        def get_password(self, service, username):
            raise ItemNotFoundException("Item does not exist!")

    store = OsKeyStore("p")
    monkeypatch.setattr(store, "_keyring", lambda: (Flaky(), None))
    assert store.get("prod").reveal() == "sk-after-retry" and Flaky.calls == 2
    monkeypatch.setattr(store, "_keyring", lambda: (Broken(), None))
    with pytest.raises(KeyringUnavailable, match="failed to read the key: ItemNotFoundException"):
        store.get("prod")
