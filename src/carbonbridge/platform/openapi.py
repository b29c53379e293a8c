"""The error responses of every operation, documented once for the whole OpenAPI document.

Every error the API returns is RFC 9457 ``application/problem+json`` (``platform/problems.py``),
so every operation's responses name the problem+json statuses that apply to it, derived from the
route itself rather than written per endpoint:

* 422 (invalid input) and 404 (a named thing does not exist) for every operation that takes a
  parameter or a body; 400 (a body that cannot be parsed) and 413 (past the cap every body is
  read under, ``platform.guard``) for one that takes a body, an upload's included;
* 401 (no valid credentials) and 403 (role or organisation) for every operation that needs a
  token (a :class:`~carbonbridge.platform.guard.GuardedRoute` not marked public) or reads the
  caller: a dependency returning a :class:`~carbonbridge.platform.identity.Principal`, or a
  router that declares them (``responses=CALLER_RESPONSES``, e.g. the registry's hot write path,
  which reads the caller's token itself);
* 409 (conflict with the current state) for every such operation that may change state
  (``POST``, ``PUT``, ``PATCH``, ``DELETE``; a public ``POST`` is a calculator, storing nothing).

FastAPI's own 422 (``HTTPValidationError``) is replaced by the problem schema, which is what the
API actually answers. An endpoint added later is covered without any change here; the
conformance test (``tests/platform/test_openapi_conformance.py``) checks every answer against it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute

from carbonbridge.platform.guard import GuardedRoute, is_public
from carbonbridge.platform.identity import Principal

PROBLEM_JSON = "application/problem+json"

#: for a router whose endpoints read the caller without a ``Principal`` dependency
CALLER_RESPONSES: dict[int | str, dict[str, Any]] = {401: {}, 403: {}}

_DESCRIPTIONS = {
    400: "The request body cannot be parsed (e.g. JSON nested past the parser's limit).",
    401: "No valid credentials: the operation needs a token (`Authorization: Bearer ...`).",
    403: "The caller's role or organisation does not allow this.",
    404: "The named thing does not exist, or is not visible to the caller.",
    409: "Well-formed, but in conflict with the current state (e.g. insufficient units, a state "
    "transition); nothing was changed.",
    413: "The upload is too large.",
    422: "Invalid input: `issues` names each field (`location`), its `value` and the `reason`; "
    "nothing was changed.",
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ProblemIssue(BaseModel):
    """One thing wrong with one input field."""

    location: list[str | int] = Field(description="path to the field, e.g. ['body', 'rows', 3, 'unit']")
    value: Any = Field(description="the value given (omitted for a whole structure)")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the error's stable ``code`` (``docs/errors.md``)."""

    type: str = Field(description="/docs/errors#<code>")
    title: str = Field(description="in the caller's language (Accept-Language or the lang cookie)")
    status: int
    detail: str
    instance: str
    code: str
    issues: list[ProblemIssue] | None = None


def _reads_caller(dependant: Dependant) -> bool:
    for dep in dependant.dependencies:
        call = dep.call
        if call is not None and _returns(call) is Principal:
            return True
        if _reads_caller(dep):
            return True
    return False


def _returns(call: Callable[..., Any]) -> object:
    try:
        return typing.get_type_hints(call).get("return")
    except (NameError, TypeError):  # a dependency whose hints do not resolve returns no principal
        return None


def _applicable(route: RouteContext) -> set[int]:
    """The problem statuses of one operation (its router's and its own ``responses`` included)."""
    found = {int(s) for s in route.responses if str(s).isdigit() and 400 <= int(s) < 500}
    dependant: Dependant = route.dependant
    params = [
        *dependant.path_params,
        *dependant.query_params,
        *dependant.header_params,
        *dependant.cookie_params,
    ]
    # an upload reads its multipart body itself, after its checks (``platform.bodies``), and
    # declares it in ``openapi_extra`` rather than as a parameter
    declared = "requestBody" in (getattr(route.original_route, "openapi_extra", None) or {})
    body = route.body_field is not None or declared
    if params or body:
        found |= {404, 422}
    if body:
        found |= {400, 413}  # every body is capped as it streams (``platform.guard``)
    original = route.original_route
    guarded = isinstance(original, GuardedRoute) and not is_public(original.endpoint)
    if guarded or _reads_caller(dependant) or 401 in found:
        found |= {401, 403}
        # only an authenticated caller changes state (a public POST is a calculator)
        if set(route.methods or ()) & _WRITES:
            found.add(409)
    return found


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, "Error (problem+json)."),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "`Bearer`", "required": True, "schema": {"type": "string"}}
        }
    return response


def document_errors(spec: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """Add the problem+json responses that apply (module docstring) to every operation of
    ``spec`` (built from ``routes``), and the ``Problem`` schema. Returns ``spec``."""
    paths = spec.get("paths", {})
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        item = paths.get(route.path_format or "", {})
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_applicable(route)):
                responses[str(status)] = _problem_response(status)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    # FastAPI's validation-error shapes are never answered (422 is a problem): drop them
    text = repr(paths)
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in text:
            schemas.pop(unused, None)
    return spec


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` document every operation's problem+json responses."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        spec = build()
        if "Problem" not in spec.get("components", {}).get("schemas", {}):
            document_errors(spec, app.routes)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
