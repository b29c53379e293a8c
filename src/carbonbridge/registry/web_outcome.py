"""Web: how the registry's pages show the outcome of a form post, in the page's language: the
receipt of a step that was done, or the domain error that refused it (and changed nothing).

An error is shown as its class's title (``title_zh`` / ``title_en``, as the problem+json API gives
them), its detail, and a table of its field issues (field, value, reason). The detail and the
reasons are English sentences built by the code that raised the error; they are shown in Chinese
only when they are known messages:

- a fixed sentence (``"invalid request"``, ``"no longer pending"``) is a gettext msgid as it is;
- a sentence with values in it is one of :data:`MESSAGES`, a gettext msgid with named
  placeholders (``"%(wanted)s t asked for, ..."``) written exactly as the raising code formats it.
  The English text is matched against the msgid (its placeholders standing for any text), and the
  Chinese msgstr is filled with the values found; the values that are the registry's own terms
  (unit states, roles) are translated too.

Anything else is shown as the English sentence under the translated title: nothing is guessed.
The API's problem+json body is not touched (English detail and reasons are its contract).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.platform import i18n
from carbonbridge.platform.deps import Sessions
from carbonbridge.platform.identity import Principal
from carbonbridge.platform.web import page_language, render
from carbonbridge.registry import views
from carbonbridge.registry.model import Receipt

#: Error messages with values in them, as gettext msgids with named placeholders. Each is written
#: exactly as the raising code formats its English text (the module named in the comment); a test
#: raises each of them through that code, so a changed wording fails there rather than silently
#: falling back to English.
MESSAGES: tuple[str, ...] = (
    # registry.blocks.take
    "%(wanted)s t asked for, %(available)s t available in state %(states)s",
    "serials %(first)s-%(last)s are not all held here in state %(states)s "
    "(first missing serial: %(missing)s)",
    "at most %(available)s",
    "must be ≥ start (%(start)s)",
    "the range %(first)s-%(last)s holds %(count)s t",
    # registry.units.service, registry.units.exports, registry.service
    "account %(account)s does not exist",
    "project %(project)s does not exist",
    "export request %(operation)s does not exist",
    "export request %(operation)s was already confirmed or rejected",
    "the calculation of %(report)s is flagged implausible; give an override reason to verify it",
    # registry.writes.check_text
    "1-%(limit)s characters",
    # platform.identity.Principal.require / require_organisation
    "role '%(role)s' may not do this; needs one of: %(roles)s",
    "%(role)s of organisation '%(organisation)s' may not access organisation '%(other)s'",
)

#: placeholders whose values are the registry's own terms, translated one by one: the separator
#: the raising code joins several of them with, and the one the translation joins them with
_TERMS: Mapping[str, tuple[str, str]] = {"states": ("/", "/"), "role": (", ", "、"), "roles": (", ", "、")}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(msgid: str) -> re.Pattern[str]:
    """``msgid`` as a regular expression: its text literally, each placeholder a named group."""
    parts: list[str] = []
    position = 0
    for found in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[position : found.start()]))
        parts.append(f"(?P<{found.group(1)}>.+?)")
        position = found.end()
    parts.append(re.escape(msgid[position:]))
    return re.compile("".join(parts), re.DOTALL)


_PATTERNS = [(msgid, _pattern(msgid)) for msgid in MESSAGES]


def localise(lang: str, text: str) -> str:
    """An error's English ``text`` in ``lang``: its translation if it is a known message (fixed, or
    one of :data:`MESSAGES` with its values filled in), else ``text`` unchanged."""
    if lang == "en":
        return text
    translated = i18n.gettext(lang, text)
    if translated != text:
        return translated
    for msgid, pattern in _PATTERNS:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        values = {
            name: _terms(lang, value, *_TERMS[name]) if name in _TERMS else value
            for name, value in found.groupdict().items()
        }
        return i18n.gettext(lang, msgid) % values
    return text


def _terms(lang: str, value: str, separator: str, joiner: str) -> str:
    return joiner.join(i18n.gettext(lang, part) for part in value.split(separator))


@dataclass(frozen=True)
class ShownIssue:
    """One field issue as the page shows it."""

    where: str
    value: str
    reason: str


@dataclass(frozen=True)
class ShownError:
    """A domain error as the page shows it, in the page's language (plain text: the template
    escapes it like any other data)."""

    code: str
    status: int
    title: str
    detail: str
    issues: tuple[ShownIssue, ...]


def shown_error(exc: CarbonbridgeError, lang: str) -> ShownError:
    """``exc`` for a page in ``lang``: its class's title, its detail and its field issues."""
    return ShownError(
        exc.code,
        exc.status,
        exc.title_zh if lang == "zh" else exc.title_en,
        localise(lang, exc.detail),
        tuple(
            ShownIssue(
                ".".join(str(p) for p in issue.location),
                "—" if issue.value is None else str(issue.value),
                localise(lang, issue.reason),
            )
            for issue in exc.issues
        ),
    )


def render_outcome(
    request: Request,
    sessions: Sessions,
    template: str,
    context: Mapping[str, object],
    *,
    done: Receipt | None = None,
    error: CarbonbridgeError | None = None,
) -> HTMLResponse:
    """Render ``template`` (which includes ``_registry_outcome.html``) with the outcome of a form
    post: ``done``'s operation and serials, or ``error`` (with its status) in the page's language."""
    outcome = {
        "done": done,
        "done_serials": views.serials_of(sessions, list(done.produced)) if done else [],
        "error": shown_error(error, page_language(request)) if error else None,
    }
    return render(request, template, {**context, **outcome}, error.status if error else 200)


def render_refusal(request: Request, principal: Principal, error: CarbonbridgeError) -> HTMLResponse:
    """The registry's error page: ``error`` refused the request (a page that cannot be shown)."""
    context = {"principal": principal, "error": shown_error(error, page_language(request))}
    return render(request, "registry_error.html", context, error.status)


#: the largest form part a registry page reads (bytes)
MAX_FORM = 100_000


async def read_form(request: Request) -> dict[str, str]:
    """A posted form's fields as text."""
    async with request.form(max_part_size=MAX_FORM) as form:
        return {k: str(v) for k, v in form.items()}


async def settle_form(
    request: Request, act: Callable[[dict[str, str]], Receipt], page: Callable[..., Response]
) -> Response:
    """Read a posted form, run its use case with the form's fields and show ``page`` with the
    outcome (:func:`settle`): the one shape of every registry form post."""
    form = await read_form(request)
    return settle(lambda: act(form), page)


def settle(act: Callable[[], Receipt], page: Callable[..., Response]) -> Response:
    """Run a form's use case and show ``page`` with its receipt (``done``), or with the error that
    refused it (``error``: nothing was changed)."""
    try:
        receipt = act()
    except CarbonbridgeError as exc:
        return page(error=exc)
    return page(done=receipt)
