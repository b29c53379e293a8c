"""Loading the synthetic demo region into an empty database (``make run``)."""

from __future__ import annotations

from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker


def load_demo_if_empty(sessions: sessionmaker[Session], console: Console) -> bool:
    """Load the demo region unless organisations already exist; returns whether it loaded."""
    from carbonbridge.platform.optional import optional_module

    service = optional_module("carbonbridge.accounting.service")
    if service is None:
        console.print("demo region: accounting service not installed; nothing loaded")
        return False
    loaded: bool = service.load_demo_region(sessions, console)
    return loaded
