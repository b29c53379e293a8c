"""The public result of a sealed-bid auction, and its verification by anyone (issue 14: "anyone can
recompute the clearing from the opened bids and check it against the published result").

The result document (``FORMAT``) carries the auction's terms, the revealed tie-break seed and the
commitment published when the auction opened, every bid's opening (the salt and canonical payload
behind its private log entry, whose commitment is SHA-256(salt ‖ payload)), the bids withdrawn
during the window, and the outcome. :func:`verify` checks, without trusting the platform:

1. the seed matches the commitment published before the window (``ties.commitment``);
2. each opening hashes to its commitment, and its payload names this auction and this bid;
3. clearing the opened bids under the terms with the seed (``sealed.clear``) gives the published
   outcome: status, clearing price, units sold, and every bid's allocation;
4. the document's digest is the one the result's log entry records (``log_event``).

That each commitment is the entry at its log index, and the result entry at its own, an auditor
checks against the signed log (``carbonbridge ledger`` commands, the tiles); a bidder checks that
its own bid (its receipt's log index) is in the document, so a bid cannot be left out unseen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.markets.auctions.model import Bid, Outcome, Rule, Terms
from carbonbridge.markets.auctions.sealed import clear
from carbonbridge.markets.auctions.ties import commitment

FORMAT = "carbonbridge-sealed-auction-result/v1"


def terms_dict(terms: Terms) -> dict[str, Any]:
    return {
        "rule": terms.rule.value,
        "volume": terms.volume,
        "reserve_fen": terms.reserve_fen,
        "lot": terms.lot,
        "tick_fen": terms.tick_fen,
        "bidder_cap": terms.bidder_cap,
        "secondary_floor_fen": terms.secondary_floor_fen,
    }


def terms_of(data: Mapping[str, Any]) -> Terms:
    return Terms(
        volume=int(data["volume"]),
        rule=Rule(data["rule"]),
        reserve_fen=data.get("reserve_fen"),
        lot=int(data.get("lot", 1)),
        tick_fen=int(data.get("tick_fen", 1)),
        bidder_cap=data.get("bidder_cap"),
        secondary_floor_fen=data.get("secondary_floor_fen"),
    )


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    a = outcome.allocation
    return {
        "status": outcome.status.value,
        "clearing_price_fen": outcome.clearing_price_fen,
        "sold": outcome.sold,
        "unsold": outcome.unsold,
        "demand": outcome.demand,
        "cover_ratio": str(outcome.cover_ratio),
        "bidders": outcome.bidders,
        "marginal_bid": outcome.marginal_bid,
        "proceeds_fen": outcome.proceeds_fen,
        "reason": outcome.reason,
        "allocation": [
            [i, b, q, p] for i, b, q, p in zip(a.bid_ids, a.bidders, a.quantities, a.prices_fen, strict=True)
        ],
    }


def bid_payload(auction_id: str, bid: Bid) -> dict[str, Any]:
    """What a sealed bid's private log entry commits to."""
    return {
        "auction": auction_id,
        "bid": bid.bid_id,
        "bidder": bid.bidder,
        "price_fen": bid.price_fen,
        "quantity": bid.quantity,
    }


def digest(document: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the document's canonical JSON without ``log_event`` and
    ``result_log_index`` (which record the digest, so cannot be part of it)."""
    body = {k: v for k, v in document.items() if k not in {"log_event", "result_log_index"}}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def verify(document: Mapping[str, Any]) -> list[str]:
    """The problems found in a result document (empty: it verifies). Never raises on a malformed
    document: a missing or wrong field is a problem."""
    try:
        return _verify(document)
    except (KeyError, TypeError, ValueError) as exc:
        return [f"malformed result document: {type(exc).__name__}: {exc}"]


def _verify(document: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if document.get("format") != FORMAT:
        return [f"not a {FORMAT} document"]
    auction = document["auction"]
    auction_id = auction["id"]
    seed = bytes.fromhex(document["seed"])
    if commitment(seed) != document["seed_commitment"]:
        problems.append("the revealed seed does not match the commitment published when the auction opened")
    bids: list[Bid] = []
    for n, opening in enumerate(document["bids"]):
        salt = bytes.fromhex(opening["salt"])
        payload = opening["payload"].encode("utf-8")
        if hashlib.sha256(salt + payload).hexdigest() != opening["commitment"]:
            problems.append(f"bid {n} ({opening.get('bid')}): the opening does not hash to its commitment")
            continue
        data = json.loads(payload)
        if data.get("auction") != auction_id or data.get("bid") != opening.get("bid"):
            problems.append(f"bid {n}: the opened payload names another auction or bid")
            continue
        bids.append(Bid(data["bid"], data["bidder"], int(data["price_fen"]), int(data["quantity"])))
    recomputed = outcome_dict(clear(terms_of(auction["terms"]), bids, seed))
    published = document["outcome"]
    for key in ("status", "clearing_price_fen", "sold", "unsold", "marginal_bid", "proceeds_fen"):
        if recomputed[key] != published.get(key):
            problems.append(
                f"outcome {key}: published {published.get(key)!r}, recomputed {recomputed[key]!r}"
            )
    if [list(r) for r in recomputed["allocation"]] != [list(r) for r in published.get("allocation", [])]:
        problems.append("the published allocation differs from the one recomputed from the opened bids")
    logged = document.get("log_event", {})
    if logged.get("document_sha256") != digest(document):
        problems.append("the document's digest differs from the one its result log entry records")
    return problems


def withdrawn_entries(withdrawn: Sequence[tuple[str, int, int]]) -> list[dict[str, Any]]:
    """Withdrawn bids as the document lists them: bid id, its sealing entry, the withdrawal entry."""
    return [{"bid": b, "log_index": sealed, "withdrawn_log_index": w} for b, sealed, w in withdrawn]
