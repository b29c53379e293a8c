"""Shared kernel: quantities and units, exact decimals, ids, clock, canonical JSON, domain errors."""
