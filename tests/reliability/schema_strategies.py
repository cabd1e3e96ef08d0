"""A small JSON-Schema (OpenAPI 3 flavour) to hypothesis strategy translator.

hypothesis-jsonschema would do this, but it is not among the test dependencies; this covers what
the providers' call schemas use: object (properties, required, additionalProperties), array
(items), string (enum, format date-time / uuid / uri, maxLength), number, integer, boolean, null,
`nullable`, `const`, `$ref`, `oneOf`, `anyOf`, `allOf`, and `{}` (any JSON value).

The values follow the schema's types (a provider that keeps to its own spec); strings are mostly
ordinary, sometimes hostile (markup, control characters, RTL, huge), and optional properties are
sometimes left out, sometimes null (providers send null where the spec says "optional").
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

HOSTILE = ["", " ", "<b>x</b><script>alert(1)</script>", "file:///etc/passwd", "\x00\x1b[2J\x07",
           "\u202eevil\u202c", "e\u0301" * 30, "שלום", "👋", "null", "NaN", "-1", "1e400",
           "2024-05-01T12:00:00Z", "\ud800"]
_any_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False),
                        st.text(max_size=12), st.sampled_from(HOSTILE))
ANY_JSON = st.recursive(_any_scalar, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)

_BASE = datetime(2024, 5, 1, tzinfo=timezone.utc)
date_times = st.one_of(
    st.integers(0, 86_400 * 30).map(lambda s: (_BASE + timedelta(seconds=s)).isoformat().replace("+00:00", "Z")),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-7))])).map(
        lambda d: d.isoformat()),
    st.sampled_from(["", "not a date", "2024-13-45T99:99:99Z", "0001-01-01T00:00:00Z"]),
)
plain_text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE))


def _string(schema: dict, name: str | None) -> st.SearchStrategy:
    fmt = schema.get("format")
    if fmt == "date-time" or (name and (name.endswith("_at") or name.endswith("At"))):
        return date_times
    if fmt == "uuid" or (name and (name == "id" or name.endswith("_id") or name.endswith("Id"))):
        return st.one_of(st.uuids().map(str), st.uuids().map(str), plain_text)
    if fmt in ("uri", "url") or (name and "url" in name.lower()):
        return st.one_of(st.just("https://example.com/r.wav"), st.just("file:///etc/passwd"), plain_text)
    limit = schema.get("maxLength")
    if isinstance(limit, int):
        return st.text(max_size=min(limit, 60))
    return st.one_of(plain_text, plain_text, plain_text, st.just("x" * 5000))


class SchemaStrategies:
    """Strategies for the schemas of one spec (`schemas`: name -> schema; refs `#/.../Name`)."""

    def __init__(self, schemas: dict[str, dict], *, max_depth: int = 6) -> None:
        self.schemas = schemas
        self.max_depth = max_depth
        self._cache: dict[tuple[str, int], st.SearchStrategy] = {}

    def for_ref(self, name: str, depth: int = 0) -> st.SearchStrategy:
        key = (name, depth)
        if key not in self._cache:
            self._cache[key] = st.deferred(lambda: self.build(self.schemas[name], depth, name))
        return self._cache[key]

    def build(self, schema: Any, depth: int = 0, name: str | None = None) -> st.SearchStrategy:
        if not isinstance(schema, dict) or not schema:
            return ANY_JSON
        if depth > self.max_depth:
            return st.none()
        strategy = self._build(schema, depth, name)
        if schema.get("nullable"):
            strategy = st.one_of(st.none(), strategy)
        return strategy

    def _build(self, schema: dict, depth: int, name: str | None) -> st.SearchStrategy:
        if "$ref" in schema:
            return self.for_ref(schema["$ref"].rsplit("/", 1)[-1], depth + 1)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [self.build(s, depth + 1, name) for s in schema[key]]
                return st.one_of(*options) if options else ANY_JSON
        if "allOf" in schema:
            parts = schema["allOf"]
            if len(parts) == 1:
                return self.build(parts[0], depth, name)
            merged: dict = {"type": "object", "properties": {}, "required": []}
            for part in parts:
                part = self._resolve(part)
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return self.build(merged, depth, name)
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of(*[self.build({**schema, "type": k}, depth, name) for k in kind])
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        if kind == "array":
            items = self.build(schema.get("items", {}), depth + 1, name)
            return st.lists(items, max_size=6 if depth < 3 else 2)
        if kind == "string":
            return _string(schema, name)
        if kind == "integer":
            return st.one_of(st.integers(-1000, 100_000), st.integers(-2**63, 2**63 - 1))
        if kind == "number":
            return st.one_of(st.floats(0, 1000, allow_nan=False), st.floats(allow_nan=False),
                             st.integers(-10**6, 10**6))
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return ANY_JSON

    def _resolve(self, schema: dict) -> dict:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return schema if isinstance(schema, dict) else {}

    def _object(self, schema: dict, depth: int) -> st.SearchStrategy:
        props = schema.get("properties", {}) or {}
        required = set(schema.get("required", []) or [])
        fixed = {k: self.build(v, depth + 1, k) for k, v in props.items() if k in required}
        optional = {k: st.one_of(self.build(v, depth + 1, k), self.build(v, depth + 1, k), st.none())
                    for k, v in props.items() if k not in required}
        base = st.fixed_dictionaries(fixed, optional=optional)
        extra = schema.get("additionalProperties")
        if extra:
            values = self.build(extra, depth + 1) if isinstance(extra, dict) else ANY_JSON
            more = st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=3)
            return st.builds(lambda a, b: {**b, **a}, base, more)
        return base
