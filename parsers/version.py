"""PARSER_VERSION: changes whenever the parser's output could change.

It hashes the parsing logic — the syntax tree of every parser module but ``cli.py`` (the
command line's help text shapes no record), without docstrings; comments and layout never
reach the tree — and the versions of the libraries that shape the output (trafilatura,
pypdfium2, python-docx, zhconv, lxml), so that an edited label pattern or an upgraded
extractor gives a new version and the archive knows to re-parse, and a reworded docstring
or help text does not.
"""

from __future__ import annotations

import ast
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_BASE = "1"
_LIBRARIES = ("trafilatura", "pypdfium2", "python-docx", "zhconv", "lxml", "ogi-archive")
_NOT_PARSING = frozenset({"cli.py"})


def _logic(source: str) -> str:
    """The module's syntax tree without its docstrings."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


def compute(package: Path) -> str:
    """The version of the parser whose modules are in ``package``."""
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        if path.name not in _NOT_PARSING:
            digest.update(path.name.encode() + b"\0" + _logic(path.read_text(encoding="utf-8")).encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return f"{_BASE}+{digest.hexdigest()[:12]}"


PARSER_VERSION = compute(Path(__file__).resolve().parent)
