"""PARSER_VERSION follows the parsing logic: a changed pattern gives a new version, a reworded
help text, docstring or comment does not (computed over a copy of the parser package)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import parsers
from parsers.version import PARSER_VERSION, compute

PACKAGE = Path(parsers.__file__).resolve().parent


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "parsers"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in the copied module (which must print it)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_version_of_the_installed_parser_is_computed_from_its_modules(copy):
    assert compute(copy) == PARSER_VERSION


def test_help_text_docstrings_and_comments_leave_the_version(copy):
    _edit(copy / "cli.py", 'help="', 'help="Reworded: ')
    _edit(copy / "cli.py", '"""', '"""Reworded. ')
    _edit(copy / "labels.py", "# --- cell values", "# --- the values of cells")
    _edit(copy / "tables.py", '"""The row whose label ends last in the text', '"""The row whose label ends last')
    assert compute(copy) == PARSER_VERSION


def test_a_changed_label_pattern_gives_a_new_version(copy):
    _edit(copy / "keys.py", 're.compile(r"重复申请")', 're.compile(r"重复申请|重复提出")')
    assert compute(copy) != PARSER_VERSION


def test_a_changed_rule_gives_a_new_version(copy):
    _edit(copy / "labels.py", "LONG_TEXT = 80", "LONG_TEXT = 81")
    assert compute(copy) != PARSER_VERSION
