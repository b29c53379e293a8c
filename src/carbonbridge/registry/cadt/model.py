"""Domain types of the CAD Trust exchange."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportedProject:
    """A project imported from another registry through CAD Trust records: where it came from
    (``origin_registry``, ``origin_project_id``) and the operation that imported it."""

    project_id: str
    origin_registry: str
    origin_project_id: str
    operation_id: str
