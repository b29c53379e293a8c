"""Importing a context's optional face (``api``, ``web``, ``cli``, ``store``) when it exists."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType


def optional_module(name: str) -> ModuleType | None:
    """``import name`` or ``None`` if that module (or its package) does not exist.

    An import error *inside* an existing module is re-raised, never hidden.
    """
    try:
        return import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise
