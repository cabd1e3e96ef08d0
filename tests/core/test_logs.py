"""The log file: rotation by size, and redaction of credentials."""

from __future__ import annotations

import logging

from callviewer.logs import RotatingFile, redact


def test_the_log_file_rotates_by_size_and_keeps_n_backups(tmp_path):
    path = tmp_path / "callviewer.log"
    handler = RotatingFile(path, max_bytes=1000, backups=3)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("test-rotation")
    log.propagate = False
    log.addHandler(handler)
    try:
        for i in range(200):
            log.warning("line %03d %s", i, "x" * 40)
    finally:
        log.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["callviewer.log", "callviewer.log.1", "callviewer.log.2", "callviewer.log.3"]
    for p in tmp_path.iterdir():  # each file stays near the limit (one line over at most)
        assert p.stat().st_size <= 1000 + 60
    # the newest lines are in the current file, the ones before in .1, nothing lost in between
    current = path.read_text().splitlines()
    previous = (tmp_path / "callviewer.log.1").read_text().splitlines()
    assert current[-1].startswith("line 199")
    assert int(previous[-1].split()[1]) + 1 == int(current[0].split()[1])


def test_redaction_skips_plain_text_and_catches_credentials():
    assert redact("callviewer 0.1 starting (profile /home/x)") == "callviewer 0.1 starting (profile /home/x)"
    assert "sk_live" not in redact("headers: {'Authorization': 'Bearer sk_live_123456'}")
    assert "abcdef123" not in redact("GET https://h/x?page=2&api_key=abcdef123 200")
    assert "abcd1234" not in redact("api-key: abcd1234")
    assert redact("the key s3cr3tvalue leaked", ("s3cr3tvalue",)) == "the key [REDACTED] leaked"
