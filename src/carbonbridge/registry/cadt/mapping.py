"""How our vocabulary maps onto CAD Trust's picklists: a region's editable table.

:data:`DEFAULT` is what we ship; a region overrides any part of it with a JSON file (keys as the
fields of :class:`CadtMapping`, e.g. ``{"verification_bodies": {"u-ver": "China Quality
Certification Center (CQC)"}}``), read by :func:`from_json`. ``docs/registry-compliance.md`` lists
every default and why. Countries: the English short name of the ISO 3166-1 alpha-2 code as CLDR
(Babel) spells it, except where CAD Trust's picklist spells it otherwise
(:data:`COUNTRY_NAMES`, spellings as the picklist has them, typos included, so that a node
accepts them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from babel import Locale

from carbonbridge.kernel.errors import FieldIssue, InvalidInput


@dataclass(frozen=True)
class Classification:
    """A methodology's CAD Trust classification: ``sector`` and ``unit_type`` are picklist values;
    ``project_type`` is one where the picklist has a fitting value, else our own words (CAD Trust
    validates it as free text); ``methodology`` the picklist's name of the methodology, if any."""

    sector: str
    project_type: str
    unit_type: str
    methodology: str = ""


#: ISO 3166-1 alpha-2 -> CAD Trust's country name where it differs from CLDR's English short name
COUNTRY_NAMES: Mapping[str, str] = {
    "AG": "Antigua and Barduba",
    "BA": "Bosnia and Herzegovina",
    "BN": "Brunei Darussalam",
    "CD": "Democratic Republic of Congo",
    "CG": "Congo",
    "CI": "Cote d'Ivoire",
    "CV": "Cabo Verde",
    "CZ": "Czech Republic",
    "DO": "Domincan Republic",
    "GQ": "Equatorial New Guinea",
    "GW": "Guinea Bissau",
    "KN": "Saint Kitts and Nevis",
    "KP": "Democratic People's Republic of Korea",
    "KR": "Republic of Korea",
    "LA": "Lao People's Democratic Republic",
    "LC": "Saint Lucia",
    "MK": "The Former Yugoslav Republic of Macedonia",
    "MM": "Myanmar",
    "PS": "State of Palestine",
    "RU": "Russian Federation",
    "ST": "Sao Tome and Principe",
    "SZ": "Swaziland",
    "TR": "Turkey",
    "TT": "Trinidad and Tobago",
    "TZ": "United Republic of Tanzania",
    "US": "United States of America",
    "VC": "Saint Vincent and the Grenadines",
    "VN": "Viet Nam",
}

_ENERGY = "Electricity; gas, steam and air conditioning supply"


@dataclass(frozen=True)
class CadtMapping:
    """Every choice the export makes onto CAD Trust's picklists (see the module docstring)."""

    #: methodology id (without ``@version``) -> classification
    methodologies: Mapping[str, Classification] = field(
        default_factory=lambda: {
            "CCER-14-002-V01": Classification(
                "Agriculture; forestry and fishing", "Afforestation", "Removal - nature"
            ),
            "CCER-14-001-V01": Classification(
                "Agriculture; forestry and fishing", "Afforestation", "Removal - nature"
            ),
            "AMS-I.B": Classification(
                _ENERGY, "Renewable energy (solar water pumping)", "Reduction - technical", "CDM - AMS-I.B."
            ),
            "AMS-III.C": Classification(
                "Transportation and storage",
                "Transport (electric vehicles)",
                "Reduction - technical",
                "CDM - AMS-III.C.",
            ),
            "DR-AVOIDED": Classification(_ENERGY, "Energy Demand", "Reduction - technical"),
        }
    )
    #: a methodology not in :attr:`methodologies`: sector "Not elsewhere classified", unit type by kind
    fallback_sector: str = "Not elsewhere classified"
    removal_unit_type: str = "Removal - nature"
    reduction_unit_type: str = "Reduction - technical"
    #: our verifier (the user id or name that signed the verification or validation) -> a body on
    #: CAD Trust's verification-body picklist; a verifier not listed goes out as "" (CAD Trust
    #: keeps the field empty: it is nullable by its own requirement), never as invented text
    verification_bodies: Mapping[str, str] = field(default_factory=dict)
    #: same for validations (CAD Trust's validation-body picklist); unlisted: field left out
    validation_bodies: Mapping[str, str] = field(default_factory=dict)
    #: ISO 3166-1 alpha-2 -> CAD Trust country name, over CLDR's English names
    countries: Mapping[str, str] = field(default_factory=lambda: dict(COUNTRY_NAMES))
    #: we record no NDC coverage or corresponding adjustment: the picklists' "unknown" values
    covered_by_ndc: str = "Unknown"
    corresponding_adjustment_declaration: str = "Unknown"
    corresponding_adjustment_status: str = "Not Started"
    unit_metric: str = "tCO2e"

    def classification(self, methodology: str, kind: str) -> Classification:
        known = self.methodologies.get(methodology.split("@", 1)[0])
        if known is not None:
            return known
        unit = self.removal_unit_type if kind == "removal" else self.reduction_unit_type
        return Classification(self.fallback_sector, "Not elsewhere classified", unit)

    def country(self, code: str) -> str:
        """CAD Trust's name of an ISO 3166-1 alpha-2 code (or of an ISO 3166-2 region's country)."""
        alpha2 = code.split("-", 1)[0].upper()
        named = self.countries.get(alpha2)
        if named is not None:
            return named
        english = Locale("en").territories.get(alpha2)
        if english is None:
            raise InvalidInput(
                "unknown country", [FieldIssue(("country",), code, "not an ISO 3166-1 alpha-2 code")]
            )
        return str(english)


DEFAULT = CadtMapping()


def from_json(document: Mapping[str, Any], base: CadtMapping = DEFAULT) -> CadtMapping:
    """``base`` with the parts a region's JSON mapping file gives replaced (dictionaries are
    merged key by key; ``methodologies`` values are ``{sector, project_type, unit_type,
    methodology}``)."""
    known = {f.name for f in fields(CadtMapping)}
    unknown = sorted(set(document) - known)
    if unknown:
        raise InvalidInput(
            "unknown CAD Trust mapping keys",
            [FieldIssue((k,), document[k], "not a mapping field") for k in unknown],
        )
    changes: dict[str, Any] = {}
    for key, value in document.items():
        current = getattr(base, key)
        if key == "methodologies":
            try:
                value = {m: Classification(**c) for m, c in value.items()}
            except TypeError as exc:
                raise InvalidInput("bad methodology mapping", [FieldIssue((key,), value, str(exc))]) from exc
        if isinstance(current, Mapping):
            if not isinstance(value, Mapping):
                raise InvalidInput("bad CAD Trust mapping", [FieldIssue((key,), value, "an object")])
            changes[key] = {**current, **value}
        elif isinstance(value, str):
            changes[key] = value
        else:
            raise InvalidInput("bad CAD Trust mapping", [FieldIssue((key,), value, "a string")])
    return replace(base, **changes)
