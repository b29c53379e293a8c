"""The group commit's former home, kept only so that callers outside the registry that stop it by
this name (``tests/platform/test_openapi_conformance.py``) keep working: the group commit now lives
behind the units service (:func:`carbonbridge.registry.units.service.retire_async` and its
siblings, :mod:`carbonbridge.registry.units.group_commit`). Nothing in ``src/`` imports this module;
remove it once that test calls ``service.stop_group_commits``."""

from __future__ import annotations

from carbonbridge.registry.units.service import stop_group_commits as shutdown_all

__all__ = ["shutdown_all"]
