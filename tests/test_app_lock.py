"""requirements/app.lock, which `make run` installs, pins every package Stint's code imports.

The dev lock installs more (httpx came only from there once), so a missing runtime package passes
every in-process test; this catches it in milliseconds, tests/test_fresh_install.py end to end.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Modules imported only when an optional extra is installed: file -> the extra's distribution.
# `pip install 'stint[social-core]'` brings it and its own requirements, not the app lock.
OPTIONAL = {
    "src/stint/connectors/social_core.py": "social-auth-core",
    "src/stint/connectors/social_core_strategy.py": "social-auth-core",
}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _locked() -> set[str]:
    lock = (ROOT / "requirements" / "app.lock").read_text()
    return {_normalised(m) for m in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock, re.M)}


def _with_requirements(distribution: str) -> set[str]:
    """The distribution and those it requires directly (extras' markers aside)."""
    names = {_normalised(distribution)}
    for requirement in requires(distribution) or []:
        if "extra ==" not in requirement:
            names.add(_normalised(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0]))
    return names


def _imported_modules(files: set[str] | None = None) -> dict[str, str]:
    """Top-level modules imported in src/stint (inside functions too) -> one file; ``files``:
    only those, else every file but the optional extras' (OPTIONAL)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "stint").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if (relative in OPTIONAL) != (files is not None and relative in files):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], relative)
    return found


def test_every_package_the_code_imports_is_in_the_app_lock() -> None:
    distributions = packages_distributions()
    locked = _locked()
    missing = []
    for module, where in _imported_modules().items():
        if module == "stint" or module in sys.stdlib_module_names:
            continue
        provided_by = {_normalised(d) for d in distributions.get(module, [])}
        if not provided_by & locked:
            missing.append(f"{module} (imported by {where}; from {sorted(provided_by)})")
    assert missing == [], "not in requirements/app.lock: " + ", ".join(missing)


def test_an_optional_extra_imports_only_its_package_and_what_that_requires() -> None:
    distributions = packages_distributions()
    locked = _locked()
    for extra in set(OPTIONAL.values()):
        allowed = locked | _with_requirements(extra)
        files = {file for file, owner in OPTIONAL.items() if owner == extra}
        missing = []
        for module, where in _imported_modules(files).items():
            if module == "stint" or module in sys.stdlib_module_names:
                continue
            provided_by = {_normalised(d) for d in distributions.get(module, [])}
            if not provided_by & allowed:
                missing.append(f"{module} (imported by {where}; from {sorted(provided_by)})")
        assert missing == [], f"not brought by {extra} or the app lock: " + ", ".join(missing)
