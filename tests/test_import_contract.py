"""The import contract of DESIGN §2: the core stays free of the web stack, and our packages depend one way.

Checked twice, because each check misses what the other sees: an AST walk of every module finds every import
statement (also those inside functions, which run only when called), and a fresh interpreter that imports every
module of a package finds what those imports load transitively (a third-party library that pulls in a web framework).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]

#: The layers, defined once: which of our other top-level packages each one may import (``None``: any of them).
#: DESIGN §2: signer ← ledger ← {qr, api, verify_portal, witness} ← traceledger. The verify portal is served inside
#: the API's app (traceledger composes them, passing the portal's routes to ``api.create_app``) and builds on the
#: API's problem details and history bundles; the API knows nothing of the portal, nor of label images (qr). A
#: witness is run by someone who does not trust the log's operator: it knows the log's formats only (ledger).
MAY_IMPORT: dict[str, frozenset[str] | None] = {
    "signer": frozenset(),
    "ledger": frozenset({"signer"}),
    "qr": frozenset({"signer", "ledger"}),
    "api": frozenset({"signer", "ledger"}),
    "verify_portal": frozenset({"signer", "ledger", "qr", "api"}),
    "witness": frozenset({"signer", "ledger"}),
    "traceledger": None,  # the composition root
}

#: The web stack, which the core never loads: the HTTP framework, the ASGI server, the page templates and the HTTP
#: client. A ledger is appended to, replayed and audited the same way from a command line, a server or a test; the
#: network belongs to the layers above (api serves, traceledger fetches a remote log's tiles and hands the bytes in).
WEB_MODULES = frozenset({"litestar", "uvicorn", "jinja2", "httpx"})
WEB_FREE = frozenset({"signer", "ledger"})

#: Run in a fresh interpreter: import each named module in turn and report, for each, the top-level modules that
#: its import loaded first.
_LOAD_EVERY_MODULE = """
import importlib, json, sys
def loaded():
    return {name.partition(".")[0] for name in sys.modules}
first = {}
for module in sys.argv[1:]:
    before = loaded()
    importlib.import_module(module)
    for top in sorted(loaded() - before):
        first[top] = module
print(json.dumps(first))
"""


def packages() -> list[str]:
    """Our top-level packages, as ``pyproject.toml`` tells setuptools to find them."""
    patterns = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    return sorted(
        path.parent.name
        for path in PROJECT.glob("*/__init__.py")
        if any(fnmatch(path.parent.name, pattern) for pattern in patterns["include"])
    )


def modules(package: str) -> dict[str, Path]:
    """Every module of a package by dotted name, read from the source tree (nothing is imported to list them)."""
    found = {}
    for path in sorted((PROJECT / package).rglob("*.py")):
        parts = path.relative_to(PROJECT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def forbidden(package: str) -> set[str]:
    """Top-level module names that ``package`` may not import, among ours and the web stack."""
    allowed = MAY_IMPORT[package]
    ours = set() if allowed is None else set(packages()) - allowed - {package}
    return ours | (set(WEB_MODULES) if package in WEB_FREE else set())


def imports(path: Path) -> list[tuple[int, str]]:
    """``(line, top-level module)`` of every absolute import in a file, wherever it stands in the code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.partition(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.partition(".")[0]))
    return found


def test_every_package_has_a_layer() -> None:
    """A new top-level package needs its row in MAY_IMPORT (what it may import) before it can land."""
    assert set(packages()) == set(MAY_IMPORT), (
        f"packages in pyproject.toml {sorted(packages())} and rows of MAY_IMPORT {sorted(MAY_IMPORT)} differ"
    )


def test_layers_point_one_way() -> None:
    """No two packages may import each other, and a package may import what the packages it imports do."""
    for package, allowed in MAY_IMPORT.items():
        if allowed is None:  # the composition root may import anything, and nothing imports it
            continue
        for lower in allowed:
            below = MAY_IMPORT[lower]
            assert below is not None, f"{package} may import the composition root {lower}"
            assert package not in below, f"{package} and {lower} may import each other"
            assert below <= allowed, f"{package} may import {lower}, which may import {sorted(below - allowed)}"


@pytest.mark.parametrize("package", packages())
def test_no_import_statement_crosses_a_layer(package: str) -> None:
    denied = forbidden(package)
    crossings = [
        f"{path.relative_to(PROJECT)}:{line} imports {top}"
        for path in modules(package).values()
        for line, top in imports(path)
        if top in denied
    ]
    assert not crossings, f"{package} may not import {sorted(denied)}:\n" + "\n".join(crossings)


@pytest.mark.parametrize("package", [p for p in packages() if forbidden(p)])
def test_importing_a_package_loads_nothing_above_it(package: str) -> None:
    """Importing every module of the package, in a fresh interpreter, loads none of the modules it may not import."""
    run = subprocess.run(
        [sys.executable, "-c", _LOAD_EVERY_MODULE, *modules(package)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, f"importing every module of {package} failed:\n{run.stderr}"
    first_loaded_by: dict[str, str] = json.loads(run.stdout)
    loads = {top: module for top, module in first_loaded_by.items() if top in forbidden(package)}
    assert not loads, "\n".join(f"importing {module} loads {top}" for top, module in sorted(loads.items()))
