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
