"""Climate Action Data Trust (CAD Trust, CADT) exchange: our records <-> CADT v2.0.2 records,
parsing and validating an import, export and import use cases, and mutual recognition
(碳标准互通互认)."""
