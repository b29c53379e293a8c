"""No input, however malformed, produces a 500: every operation in the OpenAPI document is called
with random path parameters, query strings and JSON bodies (hypothesis), with and without a token."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import make_user

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
SEGMENT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), max_size=12
)


def _operations(client: Any) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put"}
    ]


@pytest.mark.parametrize("auth", [False, True])
def test_random_requests_never_produce_a_server_error(
    app_client: Any, sessions: sessionmaker[Session], auth: bool
) -> None:
    headers = make_user(sessions, f"fuzz-{auth}", "admin") if auth else {}
    operations = _operations(app_client)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        op=st.sampled_from(operations),
        segments=st.lists(SEGMENT.filter(lambda s: s.strip() not in {"", ".", ".."}), min_size=3, max_size=3),
        query=st.dictionaries(
            st.sampled_from(["year", "gwp", "q", "index", "size", "old", "new", "limit"]),
            st.text(max_size=8),
            max_size=3,
        ),
        body=JSON,
    )
    def call(op: tuple[str, str], segments: list[str], query: dict[str, str], body: Any) -> None:
        method, template = op
        values = iter(segments)
        path = re.sub(r"\{[^}]+\}", lambda _: quote(next(values), safe=""), template)
        kwargs: dict[str, Any] = {"params": query, "headers": headers}
        if method != "get":
            kwargs["json"] = body
        response = app_client.request(method.upper(), path, **kwargs)
        assert response.status_code < 500, (method, path, query, body, response.text[:300])

    call()
