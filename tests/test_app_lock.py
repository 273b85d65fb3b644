"""requirements/app.lock, which `make run` installs, pins every package Stint's code imports.

The dev lock installs more (httpx came only from there once), so a missing runtime package passes
every in-process test; this catches it in milliseconds, tests/test_fresh_install.py end to end.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _locked() -> set[str]:
    lock = (ROOT / "requirements" / "app.lock").read_text()
    return {_normalised(m) for m in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock, re.M)}


def _imported_modules() -> dict[str, str]:
    """Top-level modules imported anywhere in src/stint (inside functions too) -> one file."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "stint").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], str(path.relative_to(ROOT)))
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
