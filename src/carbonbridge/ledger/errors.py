"""Errors of the ledger context.

Every verification failure names exactly what failed (which key, which line, which size), so that
an auditor reading one line knows whether the receipt is corrupt, forged, or merely for another
tree. Parsing failures are :class:`~carbonbridge.kernel.errors.InvalidInput` (422); verification
failures share the base :class:`LedgerVerificationFailed` (also 422: the presented evidence is
wrong, nothing on the server is); the CLI exits 3 for them (``ExitCode.VERIFICATION_FAILED``), so a
script can tell forged or tampered evidence from a mistyped command (2). A process that cannot
sign for the log with the key its database records raises :class:`LogKeyUnavailable` (503: the
server is misconfigured, not the caller; nothing was written).
"""

from __future__ import annotations

from carbonbridge.kernel.errors import (
    CarbonbridgeError,
    DependencyUnavailable,
    ExitCode,
    InvalidInput,
    NotFound,
)


class MalformedNote(InvalidInput):
    """A signed note (c2sp.org/signed-note) or a note key is not in the specified format."""

    code = "ledger-malformed-note"
    title_en = "Malformed signed note"
    title_zh = "签名注释格式错误"


class MalformedCheckpoint(InvalidInput):
    """A checkpoint body (c2sp.org/tlog-checkpoint) is not in the specified format."""

    code = "ledger-malformed-checkpoint"
    title_en = "Malformed checkpoint"
    title_zh = "检查点格式错误"


class MalformedReceipt(InvalidInput):
    """A receipt (c2sp.org/tlog-proof) is not in the specified format."""

    code = "ledger-malformed-receipt"
    title_en = "Malformed receipt"
    title_zh = "回执格式错误"


class MalformedTile(InvalidInput):
    """A tile path, tile or entry bundle (c2sp.org/tlog-tiles) is not in the specified format."""

    code = "ledger-malformed-tile"
    title_en = "Malformed tile"
    title_zh = "瓦片格式错误"


class TileNotFound(NotFound):
    """A tile needed to recompute a root or a proof could not be fetched."""

    code = "ledger-tile-not-found"
    title_en = "Tile not found"
    title_zh = "未找到瓦片"


class HashStoreError(CarbonbridgeError):
    """A hash store returned the wrong number of hashes, or hashes of the wrong size: a bug or a
    damaged store, never a user error."""

    code = "ledger-hash-store-inconsistent"
    title_en = "Log hash store inconsistent"
    title_zh = "日志哈希存储不一致"


class LedgerVerificationFailed(InvalidInput):
    """Base of every failed verification: the evidence presented does not prove the claim."""

    code = "ledger-verification-failed"
    title_en = "Transparency log verification failed"
    title_zh = "透明日志验证失败"
    exit_code = ExitCode.VERIFICATION_FAILED


class UnknownSigner(LedgerVerificationFailed):
    """No signature on the note is by a key the verifier trusts."""

    code = "ledger-unknown-signer"
    title_en = "Not signed by a known key"
    title_zh = "未由已知密钥签名"


class BadSignature(LedgerVerificationFailed):
    """A signature by a trusted key does not verify: the note was altered or forged."""

    code = "ledger-bad-signature"
    title_en = "Bad signature"
    title_zh = "签名无效"


class TruncatedProof(LedgerVerificationFailed):
    """A proof has fewer hashes than its index and tree size require."""

    code = "ledger-truncated-proof"
    title_en = "Truncated proof"
    title_zh = "证明被截断"


class ProofTreeSizeMismatch(LedgerVerificationFailed):
    """A proof does not fit the checkpoint's tree size (it was made for another tree)."""

    code = "ledger-proof-tree-size-mismatch"
    title_en = "Proof is for another tree size"
    title_zh = "证明对应的树大小不符"


class InclusionProofFailed(LedgerVerificationFailed):
    """An inclusion proof of the right length does not lead to the checkpoint's root."""

    code = "ledger-inclusion-proof-failed"
    title_en = "Inclusion proof failed"
    title_zh = "包含证明验证失败"


class ConsistencyProofFailed(LedgerVerificationFailed):
    """A consistency proof does not show the older tree to be a prefix of the newer one."""

    code = "ledger-consistency-proof-failed"
    title_en = "Consistency proof failed"
    title_zh = "一致性证明验证失败"


class EntryMismatch(LedgerVerificationFailed):
    """The entry presented does not hash to the leaf the proof is about."""

    code = "ledger-entry-mismatch"
    title_en = "Entry does not match the logged leaf"
    title_zh = "条目与日志叶不符"


class RootMismatch(LedgerVerificationFailed):
    """A root recomputed from tiles differs from the checkpoint's root hash."""

    code = "ledger-root-mismatch"
    title_en = "Root hash mismatch"
    title_zh = "根哈希不符"


class LogKeyUnavailable(DependencyUnavailable):
    """This process cannot sign for the log: its key file is unreadable, readable by others or
    malformed. A server misconfiguration, never the caller's fault; nothing was written."""

    code = "ledger-log-key-unavailable"
    title_en = "Log signing key unavailable"
    title_zh = "日志签名密钥不可用"


class LogKeyMismatch(LogKeyUnavailable):
    """The key file this process looked at is missing or holds another key than the verifier
    key the log's database records: signing with it would fork the log's identity, so the
    append (and the caller's whole transaction) is refused. The detail names the expected
    verifier key, the absolute path looked at and what to do."""

    code = "ledger-log-key-mismatch"
    title_en = "Not the log's signing key"
    title_zh = "非本日志的签名密钥"


class LogNotInitialised(LogKeyUnavailable):
    """The database records no verifier key for the log yet: ``carbonbridge migrate`` (a new,
    empty log) or ``carbonbridge ledger init`` records one. Keys are never created as a side
    effect of an append."""

    code = "ledger-log-not-initialised"
    title_en = "Transparency log not initialised"
    title_zh = "透明日志尚未初始化"


class AuditFailed(LedgerVerificationFailed):
    """``carbonbridge ledger audit`` found stored entries, hashes, roots or signatures that do not
    recompute: the log no longer proves what it published. The detail names the first bad record."""

    code = "ledger-audit-failed"
    title_en = "Log audit failed"
    title_zh = "日志审计未通过"
