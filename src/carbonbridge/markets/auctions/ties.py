"""Tie-breaking by a committed seed.

EU Regulation 1031/2010 Art. 7(2) and UK reg 6(3): bids at the same price "are sorted through a
random selection according to an algorithm determined by the auction platform before the auction".
Ours is published here and its seed is committed before the bidding window opens and revealed after
it closes, so that anyone can recompute the order (``docs/markets.md``, "Ties"):

- the platform draws a 32-byte ``seed`` and publishes ``commitment(seed)`` before the window;
- after the window it reveals ``seed``; anyone checks ``commitment(seed)`` against the published value;
- bids at the same price are ordered by ``tie_key(seed, bid_id)`` ascending (SHA-256, compared as
  bytes); bid ids are unique within an auction, so the order is total.
"""

from __future__ import annotations

import hashlib

SEED_BYTES = 32
_COMMIT_DOMAIN = b"carbonbridge/auction-tie-seed/v1\x00"
_KEY_DOMAIN = b"carbonbridge/auction-tie-key/v1\x00"


def commitment(seed: bytes) -> str:
    """The seed's published commitment: hex SHA-256 of a domain tag and the seed."""
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a tie-break seed has {SEED_BYTES} bytes, not {len(seed)}")
    return hashlib.sha256(_COMMIT_DOMAIN + seed).hexdigest()


def tie_key(seed: bytes, bid_id: str) -> bytes:
    """The sort key of a bid among bids at the same price: SHA-256 of a domain tag, the seed, a
    zero byte and the bid id in UTF-8."""
    return hashlib.sha256(_KEY_DOMAIN + seed + b"\x00" + bid_id.encode("utf-8")).digest()


def tie_order(seed: bytes, bid_ids: list[str]) -> list[int]:
    """Positions of ``bid_ids`` in tie-break order."""
    keys = [tie_key(seed, b) for b in bid_ids]
    return sorted(range(len(bid_ids)), key=keys.__getitem__)
