"""Witness cosignatures (c2sp.org/tlog-cosignature) of the log's checkpoints: accepted from a
witness that pulls (``carbonbridge witness``, :func:`add_cosignature`), or obtained by pushing
the latest checkpoint with a consistency proof to the registered witnesses (c2sp.org/tlog-witness,
:func:`push_checkpoint`); the registry of witnesses (:func:`add_witness`, :func:`list_witnesses`,
:func:`remove_witness`)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import (
    CarbonbridgeError,
    Conflict,
    DependencyUnavailable,
    FieldIssue,
    InvalidInput,
    NotFound,
)
from carbonbridge.ledger import store
from carbonbridge.ledger.checkpoint import checkpoint_text, parse_checkpoint
from carbonbridge.ledger.errors import LedgerVerificationFailed
from carbonbridge.ledger.merkle import prove_tree
from carbonbridge.ledger.note import (
    SIG_COSIGNATURE_V1,
    format_signature_line,
    open_note,
    parse_note,
    parse_verifier_key,
)
from carbonbridge.ledger.service.reading import served_note
from carbonbridge.ledger.witness import (
    ADD_CHECKPOINT,
    SIZE_CONTENT_TYPE,
    format_add_checkpoint,
    parse_size_answer,
)
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role


def add_cosignature(
    sessions: sessionmaker[Session],
    principal: Principal,
    note_text: str,
    witness_key: str,
    *,
    clock: Clock = utc_now,
) -> str:
    """Accept a witness's cosignature (c2sp.org/tlog-cosignature, ``cosignature/v1``) on one of
    the log's checkpoints; returns the checkpoint as now served.

    ``note_text`` is the checkpoint note carrying the witness's signature line; ``witness_key``
    the witness's verifier key (type 0x04). The checkpoint body must be byte-identical to the
    one the log signed for that size, and the cosignature must verify.
    """
    principal.require(Role.WITNESS)
    witness = parse_verifier_key(witness_key)
    if witness.sig_type != SIG_COSIGNATURE_V1:
        raise InvalidInput(
            "not a witness key",
            [FieldIssue(("witness_key",), witness_key, "a cosignature/v1 (type 0x04) verifier key")],
        )
    text, _ = parse_note(note_text)
    size = parse_checkpoint(text).tree_size
    opened = open_note(note_text, [witness])
    with unit_of_work(sessions) as session:
        found = store.checkpoint_note(session, size)
        if found is None:
            raise NotFound(f"the log signed no checkpoint of tree size {size}")
        if checkpoint_text(found[1]) != text:
            raise LedgerVerificationFailed(
                f"the cosigned checkpoint of size {size} is not the one this log signed: "
                "the witness saw a different tree (split view?)"
            )
        line = format_signature_line(opened.verified[0])
        store.put_cosignature(session, size, witness.name, witness_key, line, clock())
        return served_note(session, size, found[1])


# --- pushing to witnesses (c2sp.org/tlog-witness) ----------------------------------------------

#: POST ``body`` to ``url``; returns (HTTP status, Content-Type, body)
WitnessPost = Callable[[str, bytes], tuple[int, str, bytes]]


@dataclass(frozen=True)
class RegisteredWitness:
    """A witness of the log: key name, cosignature/v1 verifier key, submission prefix, and the
    tree size it last cosigned (the ``old`` size of the next push)."""

    name: str
    verifier_key: str
    url: str
    cosigned_size: int


@dataclass(frozen=True)
class PushResult:
    """What one witness answered to a push: ``cosigned`` (its cosignature is stored and served)
    or ``failed`` with the reason (HTTP status and body, or the error)."""

    witness: str
    tree_size: int
    cosigned: bool
    detail: str


def _witness_key(verifier_key: str) -> str:
    witness = parse_verifier_key(verifier_key)
    if witness.sig_type != SIG_COSIGNATURE_V1:
        raise InvalidInput(
            "not a witness key",
            [FieldIssue(("verifier_key",), verifier_key, "a cosignature/v1 (type 0x04) verifier key")],
        )
    return witness.name


def add_witness(
    sessions: sessionmaker[Session], verifier_key: str, url: str, *, clock: Clock = utc_now
) -> RegisteredWitness:
    """Register a witness by its verifier key (its name is the key name) and the submission
    prefix its ``add-checkpoint`` is under (``http(s)://...``)."""
    name = _witness_key(verifier_key)
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("not a witness URL", [FieldIssue(("url",), url, "an http:// or https:// URL")])
    with unit_of_work(sessions) as session:
        if store.witness(session, name) is not None:
            raise Conflict(f"witness {name} is registered already; remove it first to change it")
        store.add_witness(session, name, verifier_key, url.rstrip("/"), clock())
    return RegisteredWitness(name, verifier_key, url.rstrip("/"), 0)


def list_witnesses(sessions: sessionmaker[Session]) -> list[RegisteredWitness]:
    with unit_of_work(sessions) as session:
        return [
            RegisteredWitness(w.name, w.verifier_key, w.url, w.cosigned_size)
            for w in store.witnesses(session)
        ]


def remove_witness(sessions: sessionmaker[Session], name: str) -> None:
    """Forget a witness (its cosignatures already stored stay, they still verify)."""
    with unit_of_work(sessions) as session:
        row = store.witness(session, name)
        if row is None:
            raise NotFound(f"no witness named {name!r} is registered")
        store.remove_witness(session, row)


def http_post(url: str, body: bytes) -> tuple[int, str, bytes]:
    """:data:`WitnessPost` over HTTP(S) with the standard library (30 s timeout)."""
    request = urllib.request.Request(  # noqa: S310 - the URL is an operator-registered witness
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()
    except (urllib.error.URLError, TimeoutError) as exc:
        raise DependencyUnavailable(f"{url}: {getattr(exc, 'reason', exc)}") from exc


def _push_one(
    sessions: sessionmaker[Session], witness: RegisteredWitness, post: WitnessPost, clock: Clock
) -> PushResult:
    old = witness.cosigned_size
    for _attempt in range(2):  # a 409 tells the witness's size: one retry from there
        with unit_of_work(sessions) as session:
            found = store.checkpoint_note(session)
            if found is None:
                raise NotFound("the log has no checkpoint yet")
            size, note = found
            if old > size:
                return PushResult(witness.name, size, False, f"witness has cosigned size {old} > ours")
            proof = [] if old in (0, size) else prove_tree(size, old, store.SessionHashReader(session))
        status, content_type, body = post(
            f"{witness.url}/{ADD_CHECKPOINT}", format_add_checkpoint(old, proof, note)
        )
        if status == 409 and content_type.split(";")[0].strip() == SIZE_CONTENT_TYPE:
            known = parse_size_answer(body)
            if known == old:  # same size, other root: the witness saw a different tree
                break
            old = known
            continue
        if status != 200:
            break
        opened = open_note(note + body.decode(), [parse_verifier_key(witness.verifier_key)])
        with unit_of_work(sessions) as session:
            for signature in opened.verified:
                line = format_signature_line(signature)
                store.put_cosignature(session, size, witness.name, witness.verifier_key, line, clock())
            row = store.witness(session, witness.name)
            if row is not None:
                row.cosigned_size = size
        return PushResult(witness.name, size, True, "cosigned")
    detail = body.decode(errors="replace").strip()[:300]
    return PushResult(witness.name, size, False, f"HTTP {status}: {detail}")


def push_checkpoint(
    sessions: sessionmaker[Session], post: WitnessPost = http_post, *, clock: Clock = utc_now
) -> list[PushResult]:
    """Send the latest checkpoint, with a consistency proof from the size each witness last
    cosigned (RFC 9162 §2.1.4), to every registered witness (c2sp.org/tlog-witness
    add-checkpoint); store each returned cosignature that verifies with the witness's registered
    key, so that the checkpoint is served with it. One witness failing does not stop the others."""
    results = []
    for witness in list_witnesses(sessions):
        try:
            results.append(_push_one(sessions, witness, post, clock))
        except CarbonbridgeError as exc:
            results.append(PushResult(witness.name, 0, False, f"[{exc.code}] {exc}"))
    return results
