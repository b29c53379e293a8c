"""The transparency log: an RFC 6962 / RFC 9162 Merkle tree whose checkpoints are C2SP signed
notes, served as C2SP tlog-tiles, with C2SP tlog-proof receipts and tlog-cosignature witness
cosignatures, so that any independent implementation of those public specs can verify it."""
