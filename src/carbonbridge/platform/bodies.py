"""Request bodies: a cap counted as the body arrives, and the files of a multipart upload.

A body is refused (:class:`PayloadTooLarge`, 413) as soon as it passes the cap: before a byte is
read when its ``Content-Length`` says so, else at the chunk that crosses it; the rest is never
read, so a 1 GB upload costs no more memory or time than the cap. Nothing is checked until the
body is first read, so whoever reads it checks the caller (401, 403) first. Starlette's form
parser keeps each file part in a spooled temporary file (memory up to 1 MiB, then disk), so
reading a capped form holds at most the cap, on disk.

Starlette's own ``RequestBodyLimitMiddleware`` (behind FastAPI's ``max_body_size``) is not used:
when ``Content-Length`` is above its limit it replaces any answer with a plain-text 413, including
the 401 an anonymous caller must get first (``platform/guard.py``), and its 413 is not a problem.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive

from carbonbridge.kernel.errors import FieldIssue, InvalidInput, PayloadTooLarge

#: the cap of :func:`read_form` by default: a form without files (the login form) is small
MAX_FORM_BYTES = 256 * 1024


def size(limit: int) -> str:
    """``limit`` bytes for a person: ``50 MiB``, ``256 KiB``."""
    return f"{limit / (1024 * 1024):.3g} MiB" if limit >= 1024 * 1024 else f"{limit / 1024:.3g} KiB"


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than {size(limit)}; nothing was read past that or stored",
        [FieldIssue(("body",), None, f"at most {limit} bytes ({size(limit)})")],
        limit=limit,
    )


class OverCap(HTTPException):
    """Raised from ``receive`` while the body is read: an HTTP exception, because FastAPI turns
    any other error raised while reading a body into a 400 ('error parsing the body'). Whoever
    reads a capped body turns it into :class:`PayloadTooLarge` (:meth:`error`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=str(too_large(limit)))
        self.limit = limit

    def error(self) -> PayloadTooLarge:
        return too_large(self.limit)


@dataclass
class CappedReceive:
    """``receive`` that refuses a body past ``limit`` bytes: before reading anything if its
    ``Content-Length`` (``declared``) is larger, else at the chunk that crosses it. Nothing is
    checked until the body is first read, so the caller is checked (401, 403) before its size."""

    receive: Receive
    limit: int
    declared: int | None = None
    seen: int = 0

    async def __call__(self) -> Message:
        if self.declared is not None and self.declared > self.limit:
            raise OverCap(self.limit)
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise OverCap(self.limit)
        return message


def capped(request: Request, limit: int) -> Request:
    """``request`` with its body capped at ``limit`` bytes: reading past it (or reading at all,
    if ``Content-Length`` is larger) raises :class:`OverCap`. A body whose ``Content-Length`` is
    within the cap is passed through as it is (no counting on the hot path): the server delivers
    no more than the declared length (h11 and httptools end the message there)."""
    value = request.headers.get("content-length", "")
    declared = int(value) if value.isdigit() else None
    if declared is not None and declared <= limit:
        return request
    return Request(request.scope, CappedReceive(request.receive, limit, declared))


@asynccontextmanager
async def read_form(request: Request, limit: int = MAX_FORM_BYTES, **limits: Any) -> AsyncIterator[FormData]:
    """The posted form of ``request``, its body capped at ``limit`` bytes (:class:`PayloadTooLarge`
    past it); its temporary files are removed on leaving the ``async with``."""
    try:
        form = await capped(request, limit).form(**limits)
    except OverCap as exc:
        raise exc.error() from None
    try:
        yield form
    finally:
        await form.close()


@dataclass(frozen=True)
class Upload:
    """One uploaded file, read."""

    filename: str
    data: bytes


async def read_uploads(request: Request, names: tuple[str, ...], limit: int) -> dict[str, Upload]:
    """The files named ``names`` of a ``multipart/form-data`` body capped at ``limit`` bytes;
    :class:`InvalidInput` naming every missing one."""
    files, _ = await read_upload_form(request, names, limit)
    return files


async def read_upload_form(
    request: Request, names: tuple[str, ...], limit: int, fields: tuple[str, ...] = ()
) -> tuple[dict[str, Upload], dict[str, str]]:
    """The files named ``names`` and the text fields named ``fields`` (stripped; absent or empty
    ones left out) of a ``multipart/form-data`` body capped at ``limit`` bytes;
    :class:`InvalidInput` naming every missing file."""
    async with read_form(
        request, limit, max_files=len(names), max_fields=len(names) + len(fields) + 8
    ) as form:
        found: dict[str, Upload] = {}
        texts: dict[str, str] = {}
        issues: list[FieldIssue] = []
        for name in names:
            part = form.get(name)
            if not isinstance(part, UploadFile):
                issues.append(FieldIssue((name,), None, "a file is required (multipart/form-data)"))
                continue
            found[name] = Upload(part.filename or "upload", await part.read())
        for name in fields:
            value = form.get(name)
            if isinstance(value, str) and value.strip():
                texts[name] = value.strip()
    if issues:
        raise InvalidInput("the upload is incomplete", issues)
    return found, texts


def multipart_body(**files: str) -> dict[str, Any]:
    """OpenAPI ``requestBody`` of an operation that reads the files ``files`` (name: description)
    itself, after its checks, instead of declaring ``UploadFile`` parameters (which FastAPI reads
    before anything else)."""
    properties = {
        name: {"type": "string", "contentMediaType": "application/octet-stream", "description": text}
        for name, text in files.items()
    }
    schema = {"type": "object", "properties": properties, "required": list(files)}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
