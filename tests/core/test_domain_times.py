"""Reading the normalized records' ISO times (domain.parse_iso / iso_to_epoch)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from callviewer.domain import iso_to_epoch, parse_iso

UTC_NOON = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", [
    "2024-05-01T12:00:00Z", "2024-05-01T12:00:00z", "2024-05-01T12:00:00+00:00",
    "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00", " 2024-05-01T12:00:00.000Z ",
])
def test_iso_times_in_every_spelling_the_normalizers_and_providers_use(text):
    assert parse_iso(text) == UTC_NOON
    assert iso_to_epoch(text) == UTC_NOON.timestamp()


@pytest.mark.parametrize("value", [None, "", "yesterday", "2024-13-01T00:00:00Z", 1714564800, b"2024"])
def test_anything_else_is_no_time(value):
    assert parse_iso(value) is None and iso_to_epoch(value) is None
