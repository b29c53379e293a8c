"""Roles and the authenticated caller: who may do what, checked in services (DESIGN.md).

Kept apart from ``platform/identity.py`` (users, tokens, password login: SQLAlchemy and argon2) so
that what only needs the roles, such as the ``--role`` option of ``carbonbridge users add`` and its
``--help``, imports neither (docs/cli.md, "Start-up time"). ``identity`` re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carbonbridge.kernel.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    ADMIN = "admin"
    REGULATOR = "regulator"
    REPORTER = "reporter"
    VERIFIER = "verifier"
    DEVELOPER = "developer"
    INVESTOR = "investor"
    VPP_OPERATOR = "vpp_operator"
    WITNESS = "witness"
    PUBLIC = "public"


#: roles that act for one organisation and see only its data
ORGANISATION_ROLES = frozenset({Role.REPORTER, Role.DEVELOPER, Role.VPP_OPERATOR})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller (or the anonymous public)."""

    user_id: str | None
    name: str
    role: Role
    organisation_id: str | None = None

    def require(self, *roles: Role) -> None:
        """Raise :class:`Forbidden` (or :class:`Unauthenticated` for the public) unless the caller
        has one of ``roles``; admins pass every check."""
        if self.role == Role.ADMIN or self.role in roles:
            return
        if self.role == Role.PUBLIC:
            raise Unauthenticated("this operation needs a token (Authorization: Bearer ...)")
        wanted = ", ".join(r.value for r in roles)
        raise Forbidden(f"role {self.role.value!r} may not do this; needs one of: {wanted}")

    def require_organisation(self, organisation_id: str) -> None:
        """Organisation scoping: reporters (and developers, VPP operators) act only for their own."""
        if self.role in ORGANISATION_ROLES and self.organisation_id != organisation_id:
            raise Forbidden(
                f"{self.role.value} of organisation {self.organisation_id!r} "
                f"may not access organisation {organisation_id!r}"
            )

    def can_see_all_organisations(self) -> bool:
        return self.role in {Role.ADMIN, Role.REGULATOR, Role.VERIFIER}


PUBLIC = Principal(user_id=None, name="public", role=Role.PUBLIC)
