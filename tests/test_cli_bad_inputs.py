"""Issue 14.8: no ``ogi`` command answers a bad input with a traceback.

Every command of the ``ogi`` group (walked as ``test_cli_help.py`` walks it) runs over a table
of bad inputs: a missing file, a directory where a file belongs, a file of random bytes, bad
dates, integers and limits, output into a missing directory. Each must exit non-zero with a
message and no traceback; a test checks that the table covers every command.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ogi.cli import main
from test_cli_help import COMMANDS

# Placeholders the test fills in: a missing file, a directory, a file of random bytes, a
# healthy CSV registry, and a path inside a directory that does not exist.
MISSING, DIRECTORY, RANDOM, NOWHERE = "{missing}", "{directory}", "{random}", "{nowhere}"
HEALTHY = "--archive={healthy}"  # a command's bad input other than its archive
BAD_FILES = (MISSING, DIRECTORY, RANDOM)
ARCHIVE_COMMANDS = ("reparse", "export", "stats", "search", "warc", "wacz", "serve", "check", "changes", "bundle")
# What each archive command needs beside --archive to run at all.
ARCHIVE_ARGS = {"search": ("report",), "warc": ("--out", "out.warc.gz"), "wacz": ("--out", "out.wacz"),
                "changes": ("--since", "2025-01-01"), "bundle": ("--out", "release"), "export": ("--out", "-"),
                "serve": ("--port", "1")}

BAD_INPUTS: list[tuple[str, tuple[str, ...]]] = [
    *((f"{name}", ("--archive", bad, *ARCHIVE_ARGS.get(name, ()))) for name in ARCHIVE_COMMANDS for bad in BAD_FILES),
    ("migrate", ("--archive", DIRECTORY)),
    ("migrate", ("--archive", RANDOM)),
    ("migrate", ("--archive", NOWHERE)),
    ("demo", ("--out", NOWHERE)),
    ("demo", ("--out", DIRECTORY)),
    ("demo", ("--portals", "0")),
    ("demo", ("--seed", "one")),
    ("parse", (MISSING,)),
    ("parse", (DIRECTORY,)),
    ("parse", ("--url", "http://[::1", RANDOM)),
    ("reparse", ("--archive", MISSING, "--force")),
    ("reparse", (HEALTHY, "--print",)),
    ("export", (HEALTHY, "--year", "twenty", "--out", "-")),
    ("export", (HEALTHY, "--format", "xlsx", "--out", "-")),
    ("export", (HEALTHY, "--format", "csv", "--out", NOWHERE)),
    ("export", (HEALTHY, "--format", "csv", "--out", DIRECTORY)),
    ("codebook", ("--out", RANDOM)),
    ("codebook", ("--out", NOWHERE + "/deeper")),
    ("stats", (HEALTHY, "--view", "nonsense")),
    ("stats", (HEALTHY, "--plot", RANDOM)),
    ("search", (HEALTHY, "--limit", "0", "report")),
    ("search", (HEALTHY, "--limit", "many", "report")),
    ("search", (HEALTHY, "--limit", "99999999999999999999", "report")),
    ("warc", (HEALTHY, "--out", NOWHERE)),
    ("warc", (HEALTHY, "--out", DIRECTORY)),
    ("wacz", (HEALTHY, "--out", NOWHERE)),
    ("wacz", (HEALTHY, "--out", DIRECTORY)),
    ("serve", (HEALTHY, "--port", "port")),
    ("serve", (HEALTHY, "--research-db", DIRECTORY)),
    ("check", ("--archive", RANDOM)),
    ("merge", (MISSING, "--into", "merged.db")),
    ("merge", (DIRECTORY, "--into", "merged.db")),
    ("merge", (RANDOM, "--into", "merged.db")),
    ("merge", (HEALTHY.removeprefix("--archive="), "--into", NOWHERE)),
    ("merge", (HEALTHY.removeprefix("--archive="), "--into", RANDOM)),
    ("changes", (HEALTHY, "--since", "garbage")),
    ("changes", (HEALTHY, "--since", "2025-13-45")),
    ("bundle", (HEALTHY, "--out", RANDOM)),
    ("bundle", (HEALTHY, "--out", NOWHERE + "/deeper")),
    ("registry list", ("--portals", MISSING)),
    ("registry list", ("--portals", DIRECTORY)),
    ("registry list", ("--portals", RANDOM)),
    ("registry list", ("--sample", "0")),
    ("registry list", ("--sample", "half")),
    ("registry list", ("--codes", "not-a-code")),
    ("registry check", (MISSING,)),
    ("registry check", (DIRECTORY,)),
    ("registry check", (RANDOM,)),
    ("registry stats", ("--portals", MISSING)),
    ("registry stats", ("--portals", DIRECTORY)),
    ("registry stats", ("--portals", RANDOM)),
    ("replica serve", ("--port", "70000")),
    ("replica serve", ("--port", "-1")),
    ("replica serve", ("--portals", "0")),
    ("replica serve", ("--epoch", "9")),
    ("replica truth", ("--seed", "x")),
    ("replica truth", ("--portals", "99999")),
    ("replica truth", ("--epoch", "0")),
    ("replica registry", ("--portals", "-3")),
    ("replica registry", ("--seed", "1.5")),
]


@pytest.fixture()
def places(tmp_path: Path, monkeypatch) -> dict[str, str]:
    from test_archive_hardening import make_archive

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OGI_ARCHIVE", raising=False)
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "random.bin").write_bytes(os.urandom(4096))
    return {MISSING: str(tmp_path / "missing.db"), DIRECTORY: str(tmp_path / "a-directory"),
            RANDOM: str(tmp_path / "random.bin"), NOWHERE: str(tmp_path / "no-such-dir" / "out.file"),
            "{healthy}": str(make_archive(tmp_path / "healthy.db"))}


def _fill(args: tuple[str, ...], places: dict[str, str]) -> list[str]:
    filled = []
    for arg in args:
        for placeholder, path in places.items():
            arg = arg.replace(placeholder, path)
        filled.append(arg)
    return filled


@pytest.mark.parametrize("name,args", BAD_INPUTS, ids=[f"{n} {' '.join(a)}"[:70] for n, a in BAD_INPUTS])
def test_a_bad_input_is_a_clear_error_without_a_traceback(name, args, places, tmp_path) -> None:
    before = sorted(os.listdir(tmp_path))
    result = CliRunner().invoke(main, [*name.split(), *_fill(args, places)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 0, result.output
    assert result.output.strip(), "a refusal says why"
    # SQLite's own -wal/-shm beside the healthy archive a command read are no output of it
    created = sorted(name for name in set(os.listdir(tmp_path)) - set(before) if not name.startswith("healthy.db-"))
    assert created == [], f"a refused command left {created}"
    assert not (tmp_path / "no-such-dir").exists()


def test_the_table_covers_every_command() -> None:
    groups = {path for path in COMMANDS if any(other[:len(path)] == path and other != path for other in COMMANDS)}
    commands = {" ".join(path) for path in COMMANDS if path not in groups}
    assert commands - {name for name, _ in BAD_INPUTS} == set()
