"""Emission-factor datasets with provenance and versions, GWP sets, and the resolution rules
that say which factor a calculation uses and why."""
