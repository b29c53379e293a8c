"""Reading factor datasets: the package-data format of ``docs/factor-datasets.md``.

A dataset is a directory holding ``dataset.json`` (the manifest) and ``factors.csv`` (the rows).
Parsing validates every row and reports every problem at once (as :class:`InvalidInput` with one
:class:`FieldIssue` per problem); nothing is returned partially. Values are kept as ``Decimal``
exactly as printed by the publisher.

Built-in datasets ship under ``carbonbridge/factors/data/<id>/<version>/``; regions add their own
through the ``carbonbridge.factor_datasets`` entry-point group (a callable returning the same
``list[tuple[Dataset, list[Factor]]]`` as :func:`builtin_datasets`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

from carbonbridge.factors.model import Confidence, Dataset, Factor, Parameter
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, UnitMismatch
from carbonbridge.kernel.units import parse_unit

#: Entry-point group through which plug-ins contribute datasets.
ENTRY_POINT_GROUP = "carbonbridge.factor_datasets"

MANIFEST_FILE = "dataset.json"
FACTORS_FILE = "factors.csv"

#: Columns of ``factors.csv``, in the documented order (all required in the header).
COLUMNS: tuple[str, ...] = (
    "row_id",
    "parameter",
    "activity",
    "gas",
    "value",
    "unit",
    "region",
    "year",
    "applies",
    "sector",
    "variant",
    "table",
    "note",
    "confidence",
)

#: Sectors where IPCC default factors differ (docs/factor-datasets.md).
SECTORS: frozenset[str] = frozenset(
    {
        "energy_industries",
        "manufacturing_construction",
        "commercial_institutional",
        "residential_agriculture",
        "road_transport",
    }
)

_DATASET_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")
_REF = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*@[A-Za-z0-9][A-Za-z0-9.\-]*$")
_ROW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
_ACTIVITY = re.compile(r"^[a-z0-9_]+(?:\.[A-Za-z0-9_\-]+)*$")
_REGION = re.compile(r"^(?:\*|[A-Z]{2}(?:-[A-Z0-9]{1,3})?|[A-Z]{2}-GRID-[A-Z]+)$")
_APPLIES = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
_YEAR_RANGE = (1900, 2100)


def parse_manifest(json_text: str) -> Dataset:
    """Parse and validate a ``dataset.json`` manifest.

    Raises :class:`InvalidInput` listing every bad or missing field.
    """
    try:
        raw = json.loads(json_text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "dataset.json is not valid JSON", [FieldIssue(("manifest",), json_text[:80], str(exc))]
        ) from None
    if not isinstance(raw, dict):
        raise InvalidInput(
            "dataset.json must be an object",
            [FieldIssue(("manifest",), type(raw).__name__, "not an object")],
        )
    issues: list[FieldIssue] = []

    def text(key: str, pattern: re.Pattern[str] | None = None, *, required: bool = True) -> str:
        value = raw.get(key)
        if not required and (value is None or value == ""):
            return ""
        if not isinstance(value, str) or not value.strip():
            issues.append(FieldIssue((key,), value, "a non-empty string is required"))
            return ""
        if pattern is not None and not pattern.match(value):
            issues.append(FieldIssue((key,), value, f"does not match {pattern.pattern}"))
        return value

    dataset_id = text("id", _DATASET_ID)
    version = text("version", _VERSION)
    publisher = text("publisher")
    title = text("title")
    url = text("url")
    licence = text("licence")
    notes = text("notes", required=False)
    year = raw.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not _in_year_range(year):
        issues.append(FieldIssue(("year",), year, "a publication year (integer) is required"))
        year = 0
    supersedes = raw.get("supersedes")
    if supersedes is not None and (not isinstance(supersedes, str) or not _REF.match(supersedes)):
        issues.append(FieldIssue(("supersedes",), supersedes, "must be id@version or null"))
        supersedes = None
    documents = _documents(raw.get("documents", {}), issues)
    unknown = sorted(set(raw) - _MANIFEST_KEYS)
    issues.extend(FieldIssue((key,), raw[key], "unknown manifest key") for key in unknown)
    if issues:
        raise InvalidInput("invalid dataset manifest", issues)
    return Dataset(
        id=dataset_id,
        version=version,
        publisher=publisher,
        title=title,
        year=year,
        url=url,
        licence=licence,
        supersedes=supersedes,
        notes=notes,
        documents=documents,
    )


_MANIFEST_KEYS = frozenset(
    {"id", "version", "publisher", "title", "year", "url", "licence", "supersedes", "notes", "documents"}
)
_DOCUMENT_URL = re.compile(r"^https?://[^\s]+$")


def _documents(raw: object, issues: list[FieldIssue]) -> tuple[tuple[str, str], ...]:
    """The manifest's ``documents``: an object mapping a prefix of the rows' ``table`` citation
    to the URL of the document those rows are read from."""
    if not isinstance(raw, dict):
        issues.append(FieldIssue(("documents",), raw, "an object mapping a table prefix to a URL"))
        return ()
    found: list[tuple[str, str]] = []
    for prefix, url in raw.items():
        if not isinstance(url, str) or not _DOCUMENT_URL.match(url):
            issues.append(FieldIssue(("documents", prefix), url, "an http(s) URL is required"))
        else:
            found.append((prefix, url))
    return tuple(sorted(found, key=lambda item: -len(item[0])))


def parse_factors_csv(dataset: Dataset, text: str) -> list[Factor]:
    """Parse ``factors.csv`` text into factors of ``dataset``.

    Every row is checked (parameter, activity code, decimal value, pint unit, region, year,
    ``applies`` range, sector, confidence, duplicate ``row_id``); all problems are raised together
    as one :class:`InvalidInput` whose issues are located ``("rows", n, column)``, ``n`` being the
    spreadsheet row number (header = row 1).
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(reader.fieldnames or ())
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        issues = [FieldIssue(("header", c), None, "required column is missing") for c in missing]
        issues += [FieldIssue(("header", c), c, "unknown column") for c in extra]
        raise InvalidInput(f"invalid factors.csv header in {dataset.ref}", issues)
    issues = []
    factors: list[Factor] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            issues.append(FieldIssue(("rows", line), None, f"expected {len(COLUMNS)} columns"))
            continue
        factor = _parse_row(dataset, row, line, issues)
        row_id = row["row_id"].strip()
        if row_id in seen:
            issues.append(FieldIssue(("rows", line, "row_id"), row_id, f"duplicate of row {seen[row_id]}"))
        else:
            seen[row_id] = line
        if factor is not None:
            factors.append(factor)
    if issues:
        raise InvalidInput(f"invalid factors.csv in {dataset.ref}", issues)
    return factors


def _parse_row(
    dataset: Dataset, row: Mapping[str, str], line: int, issues: list[FieldIssue]
) -> Factor | None:
    before = len(issues)
    cell = {k: (v or "").strip() for k, v in row.items()}

    def bad(column: str, reason: str) -> None:
        issues.append(FieldIssue(("rows", line, column), cell[column], reason))

    if not _ROW_ID.match(cell["row_id"]):
        bad("row_id", "a row id (letters, digits, . _ -) is required")
    try:
        parameter = Parameter(cell["parameter"])
    except ValueError:
        bad("parameter", f"unknown parameter; expected one of {sorted(p.value for p in Parameter)}")
        parameter = Parameter.EMISSION_FACTOR
    if not _ACTIVITY.match(cell["activity"]):
        bad("activity", "not an activity code such as fuel.natural_gas")
    gas = cell["gas"] or None
    if parameter in {Parameter.EMISSION_FACTOR, Parameter.GWP, Parameter.MASS_FRACTION} and gas is None:
        bad("gas", f"a gas is required for parameter {parameter.value}")
    value = _parse_decimal(cell["value"])
    if value is None:
        bad("value", "not a decimal number as printed in the source")
    try:
        parse_unit(cell["unit"])
    except UnitMismatch as exc:
        bad("unit", exc.detail)
    region = cell["region"] or "*"
    if not _REGION.match(region):
        bad(
            "region",
            "expected *, ISO 3166 (CN), ISO 3166-2 (CN-HI) or a grid region (CN-GRID-SOUTH)",
        )
    year: int | None = None
    if cell["year"]:
        if cell["year"].isdigit() and _in_year_range(int(cell["year"])):
            year = int(cell["year"])
        else:
            bad("year", "a four-digit data year or blank")
    applies = _parse_applies(cell["applies"])
    if cell["applies"] and applies is None:
        bad("applies", "expected a reporting year (2021) or a range first-last (2023-2025)")
    sector = cell["sector"] or None
    if sector is not None and sector not in SECTORS:
        bad("sector", f"unknown sector; expected one of {sorted(SECTORS)} or blank")
    try:
        confidence = Confidence(cell["confidence"])
    except ValueError:
        bad("confidence", "expected confirmed or verify")
        confidence = Confidence.VERIFY
    if not cell["table"]:
        bad("table", "a table, page or sheet citation is required")
    if len(issues) > before or value is None:
        return None
    return Factor(
        dataset=dataset,
        row_id=cell["row_id"],
        parameter=parameter,
        activity=cell["activity"],
        gas=gas,
        value=value,
        unit=cell["unit"],
        region=region,
        year=year,
        applies=applies,
        sector=sector,
        variant=cell["variant"] or None,
        table=cell["table"],
        note=cell["note"],
        confidence=confidence,
    )


def _parse_decimal(text: str) -> Decimal | None:
    # No thousands separators: a comma inside a CSV cell is a typo waiting to happen.
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and text.strip() == text and text else None


def _parse_applies(text: str) -> tuple[int, int] | None:
    match = _APPLIES.match(text)
    if match is None:
        return None
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    if first > last or not (_in_year_range(first) and _in_year_range(last)):
        return None
    return (first, last)


def _in_year_range(year: int) -> bool:
    return _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1]


def load_dataset_dir(path: Path | Traversable) -> tuple[Dataset, list[Factor]]:
    """Load one ``<id>/<version>/`` directory (a filesystem path or package resource)."""
    manifest = path.joinpath(MANIFEST_FILE)
    rows = path.joinpath(FACTORS_FILE)
    missing = [f.name for f in (manifest, rows) if not f.is_file()]
    if missing:
        raise InvalidInput(
            f"incomplete dataset directory {path}",
            [FieldIssue(("files", name), str(path), "file is missing") for name in missing],
        )
    dataset = parse_manifest(manifest.read_text(encoding="utf-8"))
    expected = (path.name, _parent_name(path))
    if (dataset.version, dataset.id) != expected:
        raise InvalidInput(
            f"dataset directory {path} does not match its manifest",
            [FieldIssue(("id@version",), dataset.ref, f"directory says {expected[1]}@{expected[0]}")],
        )
    return dataset, parse_factors_csv(dataset, rows.read_text(encoding="utf-8"))


def _parent_name(path: Path | Traversable) -> str:
    if isinstance(path, Path):
        return path.parent.name
    # Traversables have no parent; the caller walks <id>/<version>, so re-derive from str(path).
    return Path(str(path)).parent.name


def load_tree(root: Path | Traversable) -> list[tuple[Dataset, list[Factor]]]:
    """Load every ``<id>/<version>/`` directory under ``root``, sorted by ``id@version``."""
    loaded: list[tuple[Dataset, list[Factor]]] = []
    for id_dir in sorted(root.iterdir(), key=lambda p: p.name):
        if not id_dir.is_dir() or id_dir.name.startswith(("_", ".")):
            continue
        for version_dir in sorted(id_dir.iterdir(), key=lambda p: p.name):
            if version_dir.is_dir():
                loaded.append(load_dataset_dir(version_dir))
    return loaded


def builtin_datasets() -> list[tuple[Dataset, list[Factor]]]:
    """The datasets shipped in ``carbonbridge/factors/data`` (entry point ``builtin``)."""
    return load_tree(resources.files("carbonbridge.factors").joinpath("data"))


def plugin_datasets(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> list[tuple[Dataset, list[Factor]]]:
    """Every dataset contributed through the ``carbonbridge.factor_datasets`` entry points.

    Each entry point names a callable returning ``list[tuple[Dataset, list[Factor]]]``; a result
    of any other shape is rejected with :class:`InvalidInput` naming the entry point. The same
    ``id@version`` offered twice is rejected too: an erratum must be a new version.
    """
    points = metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
    loaded: list[tuple[Dataset, list[Factor]]] = []
    issues: list[FieldIssue] = []
    seen: dict[str, str] = {}
    for point in sorted(points, key=lambda p: p.name):
        provider: Callable[[], object] = point.load()
        result = provider()
        if not isinstance(result, list):
            issues.append(FieldIssue(("entry_points", point.name), point.value, "did not return a list"))
            continue
        for item in result:
            if not _is_dataset_pair(item):
                issues.append(
                    FieldIssue(
                        ("entry_points", point.name),
                        point.value,
                        "items must be (Dataset, [Factor])",
                    )
                )
                break
            dataset, factors = item
            if dataset.ref in seen:
                issues.append(
                    FieldIssue(
                        ("entry_points", point.name),
                        dataset.ref,
                        f"already provided by {seen[dataset.ref]}",
                    )
                )
                continue
            seen[dataset.ref] = point.name
            loaded.append((dataset, list(factors)))
    if issues:
        raise InvalidInput("invalid factor-dataset plug-in", issues)
    return loaded


def _is_dataset_pair(item: object) -> bool:
    if not (isinstance(item, tuple) and len(item) == 2):
        return False
    dataset, factors = item
    return (
        isinstance(dataset, Dataset)
        and isinstance(factors, list)
        and all(isinstance(f, Factor) and f.dataset == dataset for f in factors)
    )
