"""Organisations, facilities, activity records, emission calculation, inventories, the framework
views (GHG Protocol, ISO 14064-1, China MEE guidelines) and their reconciliation; bulk engine."""
