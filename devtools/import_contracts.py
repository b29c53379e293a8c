"""Import-linter contracts defined by rule rather than by list (``../shared/DESIGN.md``, "shape").

Loaded by ``lint-imports`` (it puts the repository root on ``sys.path``) through
``[tool.importlinter] contract_types`` in ``pyproject.toml``; not part of the installed package.

* ``pure_core``: every module of a context is pure logic unless its name says otherwise. A module is
  a *face or adapter* when its own name, or the name of a package it lives in below the context,
  is one of ``impure_prefixes`` (``api``, ``cli``, ``web``, ``store``, ``service``, ``bulk``, ...)
  or starts with one and an underscore (``cli_records`` is a face, ``stored_statement`` is not).
  Every other module (``model``, ``errors``, and any logic module, including one
  added tomorrow) may import neither a forbidden framework nor an impure module, directly: so, by
  induction, not indirectly either. Shared packages (``exempt_packages``: the platform, the CLI
  root) are not contexts and are not checked.
  Use-case modules not yet named by the rule are listed in ``pending_modules`` (a list that only
  shrinks: an entry that no longer exists is an error).
* ``boundaries``: a package reaches into another context, or into a sibling sub-package of its own
  context, only through that package's ``model``, ``errors`` or ``service`` (or the package
  itself). A context is a direct sub-package of the root; a sub-package is a package inside a
  context. A ``service`` (or ``model``) grown into a package is public as a whole. Shared
  packages (``shared_packages``: the kernel, the platform) may be imported anywhere and may import
  anything (the platform is the composition root that mounts every context).

Both take ``ignore_imports`` like the built-in contracts; an ignored import that no longer exists
is an error, so the list of known exceptions can only shrink.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from grimp import ImportGraph
from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _line_numbers(graph: ImportGraph, importer: str, imported: str) -> tuple[int, ...]:
    return tuple(d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported))


def _render(check: ContractCheck) -> None:
    for item in check.metadata["violations"]:
        lines = ", ".join(f"l.{n}" for n in item["line_numbers"]) or "?"
        output.print_error(f"{item['importer']} -> {item['imported']} ({lines}): {item['why']}", bold=False)
    output.new_line()


class _RuleContract(Contract):
    root_package = fields.StringField()
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def _remove_ignored(self, graph: ImportGraph) -> Any:
        return contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=AlertLevel.ERROR,
        )

    def _internal(self, graph: ImportGraph) -> list[str]:
        root = str(self.root_package)
        return sorted(m for m in graph.modules if m == root or m.startswith(root + "."))

    def render_broken_contract(self, check: ContractCheck) -> None:
        _render(check)


class PureCoreContract(_RuleContract):
    """Logic modules import no framework and no face, store or service (see the module docstring)."""

    type_name = "pure_core"

    impure_prefixes = fields.ListField(subfield=fields.StringField())
    exempt_packages = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())
    #: use-case modules not yet named as such (moved into a ``service`` module or package as their
    #: context is re-cut): held to no rule and treated as impure; every entry must still exist
    pending_modules = fields.ListField(subfield=fields.StringField(), required=False)

    def _pending(self) -> set[str]:
        return {str(m) for m in (self.pending_modules or [])}  # type: ignore[union-attr]

    def is_pure(self, module: str) -> bool:
        """Whether ``module`` (an internal module) is held to the pure-core rule."""
        root = str(self.root_package)
        parts = module.split(".")
        if module == root or len(parts) < 2:
            return False
        if any(module == p or module.startswith(p + ".") for p in self._exempt()):
            return False
        if module in self._pending():
            return False
        below_context = parts[2:]
        prefixes = [str(p) for p in self.impure_prefixes]  # type: ignore[attr-defined]
        return not any(part == p or part.startswith(p + "_") for part in below_context for p in prefixes)

    def _exempt(self) -> list[str]:
        return [str(p) for p in self.exempt_packages]  # type: ignore[attr-defined]

    def _forbidden(self, imported: str) -> str | None:
        for name in self.forbidden_modules:  # type: ignore[attr-defined]
            if imported == name or imported.startswith(f"{name}."):
                return f"a logic module imports the framework {name}"
        root = str(self.root_package)
        if imported.startswith(root + ".") and not self.is_pure(imported):
            return "a logic module imports a face, store, service or the platform"
        return None

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = self._remove_ignored(graph)
        violations = []
        missing = sorted(self._pending() - set(graph.modules))
        if missing:
            raise ValueError(f"pending_modules lists modules that no longer exist: {', '.join(missing)}")
        pure = [m for m in self._internal(graph) if self.is_pure(m)]
        output.verbose_print(verbose, f"{len(pure)} modules held to the pure-core rule")
        for module in pure:
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                why = self._forbidden(imported)
                if why:
                    violations.append(
                        {
                            "importer": module,
                            "imported": imported,
                            "line_numbers": _line_numbers(graph, module, imported),
                            "why": why,
                        }
                    )
        return ContractCheck(
            kept=not violations,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"violations": violations},
        )


class BoundaryContract(_RuleContract):
    """Contexts and sibling sub-packages meet only at ``model``, ``errors`` and ``service``."""

    type_name = "boundaries"

    shared_packages = fields.ListField(subfield=fields.StringField())
    public_modules = fields.ListField(subfield=fields.StringField())

    def _packages(self, graph: ImportGraph) -> set[str]:
        """Contexts and their sub-packages: modules that have children."""
        internal = self._internal(graph)
        return {m.rsplit(".", 1)[0] for m in internal if m.count(".") >= 2}

    def _shared(self, module: str) -> bool:
        return any(module == p or module.startswith(p + ".") for p in self.shared_packages)  # type: ignore[attr-defined]

    def _owner(self, module: str, packages: Iterable[str]) -> str:
        """The innermost context or sub-package ``module`` lives in (not the module itself)."""
        best = ""
        for p in packages:
            if module.startswith(p + ".") and len(p) > len(best):
                best = p
        return best

    def _why(self, importer: str, imported: str, packages: set[str]) -> str | None:
        root = str(self.root_package)
        if not imported.startswith(root + ".") or self._shared(imported) or self._shared(importer):
            return None
        if importer.count(".") < 1 or imported.count(".") < 2:
            return None  # the root package's own modules (the CLI root) compose everything
        public = {str(p) for p in self.public_modules}  # type: ignore[attr-defined]
        # walk down from the root: at each package on imported's path that does not contain the
        # importer (a boundary being crossed), the next name must be public or a sub-package whose
        # own boundary is then checked the same way
        parts = imported.split(".")
        for depth in range(2, len(parts)):
            package = ".".join(parts[:depth])
            if package not in packages:
                return None
            if importer == package or importer.startswith(package + "."):
                continue
            if depth > 2 and parts[depth - 1] in public:
                return None  # a service (or model) split into a package: its modules are public
            entry = parts[depth]
            if entry in public:
                return None
            if ".".join(parts[: depth + 1]) in packages:
                continue
            kind = "context" if depth == 2 else "sub-package"
            return f"reaches into the {kind} {package} past its {'/'.join(sorted(public))}"
        return None

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = self._remove_ignored(graph)
        packages = self._packages(graph)
        violations = []
        for module in self._internal(graph):
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                why = self._why(module, imported, packages)
                if why:
                    violations.append(
                        {
                            "importer": module,
                            "imported": imported,
                            "line_numbers": _line_numbers(graph, module, imported),
                            "why": why,
                        }
                    )
        return ContractCheck(
            kept=not violations,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"violations": violations},
        )
