"""Every ``ogi`` command explains itself: ``--help`` shows a runnable example, and the README
names every top-level command (the README promises both)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ogi.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command under ``group``, sub-groups and their commands included."""
    for name, command in sorted(group.commands.items()):
        yield path + (name,)
        if isinstance(command, click.Group):
            yield from _commands(command, path + (name,))


COMMANDS = list(_commands(main))


def _examples(help_text: str) -> list[str]:
    """The command lines of the help's Example(s) block: its indented lines that run ``ogi``."""
    match = re.search(r"^\s*Examples?:\s*\n((?:[ \t]+\S.*\n?)+)", help_text, re.M)
    return [line.strip() for line in match.group(1).splitlines()] if match else []


def test_the_walk_finds_the_commands_and_their_sub_commands():
    assert {("parse",), ("export",), ("replica",), ("replica", "serve")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_shows_a_runnable_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    examples = _examples(result.output)
    assert examples, f"`ogi {' '.join(path)} --help` has no Example block:\n{result.output}"
    own = [line for line in examples if line.startswith(f"ogi {' '.join(path)}")]
    assert own, f"no example of `ogi {' '.join(path)}` in its Example block: {examples}"


def test_help_without_an_example_block_is_caught():
    assert _examples("Usage: ogi x\n\n  Does x.\n\nOptions:\n  --help  Show this message.\n") == []
    assert _examples("  Example:\n      ogi x --y 1\n      cd out\n\nOptions:\n") == ["ogi x --y 1", "cd out"]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_top_level_command_is_in_the_readme(name):
    assert re.search(rf"\bogi {re.escape(name)}\b", README.read_text(encoding="utf-8")), \
        f"README.md never shows `ogi {name}`"
