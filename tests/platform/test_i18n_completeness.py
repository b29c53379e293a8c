"""Every user-facing message has Chinese: a message added without a zh msgstr fails here.

Three nets, because messages reach a person three ways:

1. **Marked messages** — ``_("...")`` in the templates and ``_()``, ``N_()``, ``gettext(lang, "...")``
   in the faces' Python — are extracted with Babel's own extractors (what ``pybabel extract`` runs),
   and each needs a non-empty zh msgstr in the merged catalogue (``platform/i18n.py``).
2. **Sentences the pure core builds in English** (a validation reason, why a factor lost, a
   trace's note, a verification failure), which the faces show through ``i18n.localise``: every
   string literal and f-string given to a reason sink (:data:`SINKS`) in :data:`CORE_MODULES` is
   extracted from the syntax tree, an f-string's values standing as placeholders, and needs a
   msgid of the same shape (``%(name)s`` for each value) with a zh msgstr.
3. **Closed sets** shown by name (bases, categories, frameworks, equations, factor roles, the
   resolution rule's words): each renders in Chinese differently from English.
4. **Text a template prints without** ``_()``: literal words between tags and string constants
   printed between tags (:func:`template_literals`) fail, whatever the page.

The transparency log's verification reasons (a receipt, checkpoint, signed note or tile that fails)
are core sentences too: the CLI and the log entry page show them through ``i18n.localise``.

Pages rendered whole in Chinese are checked for English sentences in ``test_i18n_pages.py``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract

from carbonbridge.platform import i18n

SRC = Path(__file__).resolve().parents[2] / "src" / "carbonbridge"

#: Python keywords: ``gettext(lang, "...")`` takes its message second
KEYWORDS = {"_": None, "N_": None, "gettext": (2,)}

#: modules of the pure core whose English sentences reach pages (through ``i18n.localise``)
CORE_MODULES = (
    "accounting/validation.py",
    "accounting/intake.py",
    "accounting/computability.py",
    "accounting/engine.py",
    "accounting/calculation.py",
    "accounting/frameworks.py",
    "factors/resolution.py",
    # a receipt, checkpoint, signed note or tile that fails verification (``carbonbridge verify``,
    # ``ledger consistency``, ``witness``, the log entry page's banner)
    "ledger/proof.py",
    "ledger/rfc9162.py",
    "ledger/note.py",
    "ledger/checkpoint.py",
    "ledger/verify.py",
    "ledger/cli.py",
)

#: calls whose argument at this position (or keyword) is a sentence a person reads
SINKS: dict[str, tuple[int, str]] = {
    "issue": (1, "reason"),
    "FieldIssue": (2, "reason"),
    "Rejected": (1, "reason"),
    "InvalidInput": (0, "detail"),
    "NotFound": (0, "detail"),
    "Conflict": (0, "detail"),
    "FactorNotFound": (0, "detail"),
    "AmbiguousFactor": (0, "detail"),
    "UnitMismatch": (0, "detail"),
    "NotComputable": (1, "reason"),
    "Refusal": (1, "reason"),
    "_not_found": (3, "why"),
    "FactorUse": (0, "role"),
    # the transparency log's errors (``ledger/errors.py``): each names what failed
    **{
        name: (0, "detail")
        for name in (
            "MalformedNote",
            "MalformedCheckpoint",
            "MalformedReceipt",
            "MalformedTile",
            "TileNotFound",
            "UnknownSigner",
            "BadSignature",
            "TruncatedProof",
            "ProofTreeSizeMismatch",
            "InclusionProofFailed",
            "ConsistencyProofFailed",
            "EntryMismatch",
            "RootMismatch",
            "AuditFailed",
        )
    },
}
#: functions whose returned strings are reasons a person reads
REASON_FUNCTIONS = frozenset({"_reject_reason", "_lost_because", "_to_quantity", "_year_refusal"})
#: an f-string whose optional part is a value: the msgids that stand for each way it reads
VARIANTS = {
    "cannot be computed{}: {}": ("cannot be computed: {}", "cannot be computed (GWP set {}): {}"),
}
#: ``list.append(...)`` on these names collects notes shown in a trace
NOTE_LISTS = frozenset({"notes"})
#: a sentence assigned to this name (or to an UPPER_CASE constant, if it has a space) is a note
NOTE_NAMES = frozenset({"note"})


def _zh_catalogue() -> dict[str, str]:
    return i18n._catalog("zh")


def _marked(path: Path) -> Iterator[str]:
    if path.suffix == ".html":
        method = "jinja2.ext:babel_extract"
        options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "1", "lstrip_blocks": "1"}
    else:
        method, options = "python", {}
    with path.open("rb") as handle:
        for _line, message, _comments, _context in extract(method, handle, KEYWORDS, (), options):
            for text in [message] if isinstance(message, str) else message:
                if text:
                    yield text


def test_every_marked_message_in_templates_and_faces_has_chinese() -> None:
    catalogue = _zh_catalogue()
    files = sorted([*SRC.rglob("templates/*.html"), *SRC.rglob("*.py")])
    missing = {
        f"{path.relative_to(SRC)}: {text!r}"
        for path in files
        for text in _marked(path)
        if not catalogue.get(text)
    }
    assert sorted(missing) == []


def _shape(node: ast.expr) -> str | None:
    """A sentence's msgid shape: a literal as it is, an f-string with ``{}`` for each value; None
    for anything else (a variable, a call: checked where it was built)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            else:
                parts.append("{}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _shape(node.left), _shape(node.right)
        # "not one of: " + ", ".join(...): the joined values are one placeholder
        return (left or "{}") + (right or "{}") if left or right else None
    if isinstance(node, ast.IfExp):
        return None
    return None


def _sink_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def core_sentences(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, shape)`` of every sentence built for a person in ``path`` (see :data:`SINKS`)."""
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _sink_name(node)
            argument: ast.expr | None = None
            if name in SINKS:
                position, keyword = SINKS[name]
                if len(node.args) > position:
                    argument = node.args[position]
                argument = next((k.value for k in node.keywords if k.arg == keyword), argument)
            elif (
                name == "append"
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in NOTE_LISTS
                and node.args
            ):
                argument = node.args[0]
            for branch in _branches(argument):
                shape = _shape(branch)
                if shape is not None and re.search(r"[A-Za-z]{2,}", shape):
                    yield node.lineno, shape
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            shape = _shape(node.value)
            constant = name.isupper() and shape is not None and " " in shape
            if shape is not None and (name in NOTE_NAMES or constant) and re.search(r"[A-Za-z]{2,}", shape):
                yield node.lineno, shape
        elif isinstance(node, ast.keyword) and node.arg == "notes" and isinstance(node.value, ast.Tuple):
            for element in node.value.elts:
                shape = _shape(element)
                if shape is not None:
                    yield element.lineno, shape
        elif isinstance(node, ast.FunctionDef) and node.name in REASON_FUNCTIONS:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    for branch in _branches(inner.value):
                        shape = _shape(branch)
                        if shape is not None and re.search(r"[A-Za-z]{2,}", shape):
                            yield inner.lineno, shape


def _branches(node: ast.expr | None) -> Iterator[ast.expr]:
    if node is None:
        return
    if isinstance(node, ast.IfExp):
        yield from _branches(node.body)
        yield from _branches(node.orelse)
    else:
        yield node


def _msgid_shapes(catalogue: dict[str, str]) -> set[str]:
    return {
        i18n.PLACEHOLDER.sub("{}", msgid.replace("{", "{{").replace("}", "}}")).replace("%%", "%")
        for msgid, msgstr in catalogue.items()
        if msgstr
    }


@pytest.mark.parametrize("module", CORE_MODULES)
def test_every_sentence_the_core_builds_for_a_person_has_chinese(module: str) -> None:
    shapes = _msgid_shapes(_zh_catalogue())
    found = list(core_sentences(SRC / module))
    missing = sorted(
        f"{module}:{line}: {shape!r}"
        for line, shape in found
        if not set(VARIANTS.get(shape, (shape,))) <= shapes
    )
    assert missing == []


def test_the_extraction_of_core_sentences_finds_them() -> None:
    """The extractor is not vacuous: it sees the validation rules' reasons, values as ``{}``."""
    found = {shape for _line, shape in core_sentences(SRC / "accounting/validation.py")}
    assert "not an ISO date YYYY-MM-DD" in found
    assert "the period is not over yet (today is {})" in found
    assert "{} needs a unit convertible to one of: {}" in found


def test_a_msgid_with_values_has_a_chinese_text_with_the_same_values() -> None:
    for msgid, msgstr in _zh_catalogue().items():
        wanted = set(i18n.PLACEHOLDER.findall(msgid))
        if wanted:
            assert set(i18n.PLACEHOLDER.findall(msgstr)) == wanted, msgid
            assert "%" not in i18n.PLACEHOLDER.sub("", msgstr).replace("%%", ""), msgid


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_calculation_basis_and_framework_is_named_in_chinese() -> None:
    from carbonbridge.accounting import frameworks
    from carbonbridge.accounting.model import Basis

    for name in [*(b.value for b in Basis), *frameworks._PLACERS]:
        # ISO 14064-1 is its own name in Chinese too
        assert CJK.search(i18n.localise("zh", name)) or name == "iso14064-1", name
        assert i18n.localise("zh", name) != name
        assert i18n.localise("en", name) == name


def test_every_equation_reads_in_chinese() -> None:
    """The equations' formulas, and their names where they are not a bare citation."""
    from carbonbridge.accounting.calculation import EQUATIONS

    for name, formula in EQUATIONS.values():
        assert CJK.search(i18n.localise("zh", formula)), formula
        if not name.startswith("IPCC 2006"):
            assert CJK.search(i18n.localise("zh", name)), name


#: the words of a resolution rule (``factors.resolution._rule``)
RULE_WORDS = (
    "region=exact", "region=country", "region=global",
    "year=any", "year=applies", "year=latest-not-after", "year=timeless",
    "sector=exact", "sector=any",
    "by=only-candidate", "by=specificity", "by=dataset-priority", "by=tie-order",
)  # fmt: skip


def test_every_word_of_a_resolution_rule_reads_in_chinese() -> None:
    import inspect

    from carbonbridge.factors import resolution

    source = inspect.getsource(resolution._rule)
    for word in RULE_WORDS:
        value = word.split("=")[1]
        assert f'"{value}"' in source or f"={value}" in source, word
        assert CJK.search(i18n.localise("zh", word)), word


#: Latin words that are values in a reason: a command line, activity prefixes and categories listed as
#: choices
VALUE_WORDS = {"carbonbridge", "inventory", "submit", "replaces"} | {
    "fuel",
    "mobile",
    "electricity",
    "heat",
    "refrigerant",
    "process",
    "travel",
    "hotel",
    "waste",
}


def test_an_upload_breaking_every_rule_gets_every_reason_in_chinese() -> None:
    """Reasons as the real validation builds them, values filled in (``accounting.validation``)."""
    from datetime import date

    from carbonbridge.accounting.model import Facility
    from carbonbridge.accounting.validation import RowContext, validate_rows
    from carbonbridge.kernel.errors import InvalidInput

    site = Facility("fac-1", "org-1", "Plant", "CN-HI", "CN-GRID-SOUTH")
    other = Facility("fac-2", "org-2", "Elsewhere", "CN-HI", "CN-GRID-SOUTH")
    context = RowContext("org-1", {"fac-1": site, "fac-2": other}, date(2025, 6, 1))
    good = {
        "facility_id": "fac-1", "period_start": "2024-01-01", "period_end": "2024-12-31",
        "category": "stationary_combustion", "activity": "fuel.diesel", "quantity": "10", "unit": "t",
    }  # fmt: skip
    bad = [
        {"facility_id": "fac-2"},
        {"period_start": "2024-13-01"},
        {"period_start": "01/02/2024"},
        {"period_end": "2023-12-31"},
        {"period_start": "2023-06-01"},
        {"period_end": "2025-12-31", "period_start": "2025-01-01"},
        {"period_start": "1989-01-01", "period_end": "1989-12-31"},
        {"category": "nonsense"},
        {"activity": "teleport.x"},
        {"activity": "fuel.Diesel"},
        {"category": "waste"},
        {"quantity": "-1"},
        {"quantity": "1,000"},
        {"quantity": "ten"},
        {"quantity": "1e20"},
        {"quantity": "0.1234567"},
        {"unit": "furlong"},
        {"unit": "kWh/m"},
        {"unit": "passenger_km"},
        {"instrument": "REC"},
        {"instrument": "GEC"},
        {"note": "x" * 1001},
        {"unit": ""},
        {},
    ]
    rows = [(n + 2, {**good, **change}) for n, change in enumerate(bad)]
    try:
        validate_rows(rows, context, [])
    except InvalidInput as exc:
        error = exc
    else:
        raise AssertionError("the rows were accepted")
    assert CJK.search(i18n.localise("zh", error.detail))
    english = {i.reason for i in error.issues}
    assert len(english) >= 20
    for reason in english:
        shown = i18n.localise("zh", reason)
        assert CJK.search(shown), reason
        # what stays Latin is values: codes, units, dates, file paths
        words = re.findall(r"[a-z]{4,}", re.sub(r"[\w.\-/^*]*[._/^][\w.\-/^*]*", "", shown))
        assert words == [] or set(words) <= VALUE_WORDS, (reason, shown)


def test_every_kind_of_factor_value_is_named_in_chinese() -> None:
    from carbonbridge.factors.model import Parameter

    for parameter in Parameter:
        assert CJK.search(i18n.localise("zh", parameter.value)), parameter


def test_every_calculation_line_described_in_words_has_chinese() -> None:
    """A methodology's line whose "equation" is words (``"water pumped (activity data)"``), not a
    formula (``"BE_y − PE_y − LE_y"``), has a msgid of its shape."""
    shapes = _msgid_shapes(_zh_catalogue())
    prose: list[tuple[str, int, str]] = []
    for path in sorted((SRC / "methodologies").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and _sink_name(node) == "Line" and len(node.args) > 3:
                shape = _shape(node.args[3])
                if shape and len(re.findall(r"\b[a-z]{3,}\b", shape)) >= 2:
                    prose.append((path.name, node.lineno, shape))
    assert len(prose) >= 20
    assert sorted(f"{name}:{line}: {shape!r}" for name, line, shape in prose if shape not in shapes) == []


#: Latin words a page may print as they are: the product's name and the language switch's own label
TEMPLATE_WORDS = frozenset({"carbonbridge", "English"})
#: filters that print their argument's text unchanged
_PASSING = frozenset({"upper", "lower", "capitalize", "title", "trim", "e", "escape", "safe"})


def _printed_constants(expr: object) -> Iterator[str]:
    from jinja2 import nodes

    if isinstance(expr, nodes.Const) and isinstance(expr.value, str):
        yield expr.value
    elif isinstance(expr, nodes.CondExpr):
        yield from _printed_constants(expr.expr1)
        yield from _printed_constants(expr.expr2)
    elif isinstance(expr, nodes.Concat):
        for part in expr.nodes:
            yield from _printed_constants(part)
    elif isinstance(expr, nodes.Filter) and expr.name in _PASSING:
        yield from _printed_constants(expr.node)


def template_literals(source: str) -> list[str]:
    """The English a template prints without ``_()``: words of its literal text (outside tags,
    ``<code>``, ``<pre>``, scripts and styles, paths and addresses), and string constants it prints
    between tags (``{{ "none" if x else y }}``)."""
    from jinja2 import nodes

    from carbonbridge.platform.web import make_environment

    environment = make_environment()
    environment.filters.setdefault("tr", str)  # installed per language by ``platform.web``
    tree = environment.parse(source)
    found: list[str] = []
    in_tag = False  # whether the output so far ends inside an open tag (an attribute's value)
    text: list[str] = []
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                text.append(child.data)
                opened, closed = child.data.rfind("<"), child.data.rfind(">")
                in_tag = opened > closed if opened != closed else in_tag
                continue
            text.append(" ")
            if not in_tag:
                found.extend(s for s in _printed_constants(child) if re.search(r"[A-Za-z]{3,}", s))
    literal = "".join(text)
    literal = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", literal, flags=re.S | re.I)
    literal = re.sub(r"<[^>]*>", " ", literal)
    literal = re.sub(r"\S*[/.]\S*", " ", literal)  # paths, addresses, file names
    found.extend(w for w in re.findall(r"\b[A-Za-z][a-z]{2,}\b", literal) if w not in TEMPLATE_WORDS)
    return found


def test_no_template_prints_english_outside_gettext() -> None:
    found = {
        f"{path.relative_to(SRC)}: {text!r}"
        for path in sorted(SRC.rglob("templates/*.html"))
        for text in template_literals(path.read_text("utf-8"))
    }
    assert sorted(found) == []


def test_the_template_net_sees_literal_english() -> None:
    source = (
        '<p class="{{ "wide" if x }}">Total emissions: {{ n }} {{ "none" if not n }}</p>'
        '<code>carbonbridge verify r.txt</code> <a href="/log/checkpoint">/log/checkpoint</a> {{ _("Show") }}'
    )
    assert template_literals(source) == ["none", "Total", "emissions"]
