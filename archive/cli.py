"""Commands of this package for the ``ogi`` command line (gathered by ``ogi/cli.py``).

Each command is a thin shell over one method of ``archive.db.Archive``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from archive.db import DEFAULT_ARCHIVE, ENV_VAR, Archive, ArchiveError
from archive.merge import merge_shards


def archive_option(command: click.Command) -> click.Command:
    return click.option(
        "--archive",
        "archive_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=ENV_VAR,
        default=DEFAULT_ARCHIVE,
        show_default=True,
        show_envvar=True,
        help="The SQLite archive.",
    )(command)


@click.command()
@archive_option
def migrate(archive_path: Path) -> None:
    """Create the archive or bring its schema up to date.

    \b
    Example:
        ogi migrate --archive archive.db
    """
    with Archive(archive_path) as db:
        before, after = db.schema_before, db.schema_version
    if before == after:
        click.echo(f"{archive_path}: schema version {after}, up to date")
    else:
        click.echo(f"{archive_path}: schema version {before} -> {after}")


@click.command()
@archive_option
def reparse(archive_path: Path) -> None:
    """Parse every stored body again with the current parser, without the network.

    Rows of older parser versions stay; the ``current`` view shows the newest.
    Bodies the current parser version already parsed are skipped.

    \b
    Example:
        ogi reparse --archive archive.db
        sqlite3 archive.db "select parser_version, count(*) from current group by 1"
    """
    import parsers  # read at call time: the parser version is whatever is installed now

    with Archive(archive_path) as db:
        counts = db.reparse(
            parsers.parse_document,
            parsers.PARSER_VERSION,
            progress=lambda items: tqdm(items, desc="reparse", unit="body", file=sys.stderr),
        )
    click.echo(
        f"parser {parsers.PARSER_VERSION}: {counts['parsed']} parsed,"
        f" {counts['skipped']} already parsed by this version"
    )


@click.command()
@archive_option
def check(archive_path: Path) -> None:
    """Verify the archive; exit 1 with the list of problems if any.

    Runs PRAGMA integrity_check and foreign_key_check, checks that every referenced
    body is present and that every body's bytes hash to its SHA-256.

    \b
    Example:
        ogi check --archive archive.db || echo "archive damaged"
    """
    if not archive_path.exists():
        raise click.ClickException(f"no archive at {archive_path}")
    with Archive(archive_path) as db:
        problems = db.check()
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{archive_path}: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"{archive_path}: ok")


@click.command()
@archive_option
@click.option("--format", "output_format", type=click.Choice(["jsonl"]), default="jsonl",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="Output file; - for stdout.")
@click.option("--kind", help="Keep only documents of this kind, e.g. report.")
def export(archive_path: Path, output_format: str, out: str, kind: str | None) -> None:
    """Write the newest parse of every document, one report-schema record per line.

    \b
    Examples:
        ogi export --archive archive.db --format jsonl --out all.jsonl
        ogi export --archive archive.db --kind report --out reports.jsonl
    """
    count = 0
    with Archive(archive_path) as db, click.open_file(out, "w", encoding="utf-8") as stream:
        for record in db.export_records(kind=kind):
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    click.echo(f"{count} record(s) written to {out}", err=True)


@click.command()
@archive_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def stats(archive_path: Path, as_json: bool) -> None:
    """Print counts: portals by status, documents by kind, reports by year and level,
    failed checks.

    \b
    Example:
        ogi stats --archive archive.db --json
    """
    with Archive(archive_path) as db:
        counts = db.stats()
    if as_json:
        click.echo(json.dumps(counts, ensure_ascii=False, indent=1))
        return
    for section, rows in counts.items():
        click.echo(f"{section}:")
        for name, count in rows.items():
            click.echo(f"  {name}\t{count}")
        if not rows:
            click.echo("  (none)")


@click.command()
@archive_option
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
def search(archive_path: Path, query: str, limit: int) -> None:
    """Full-text search over report titles, organs and text.

    Queries of 3+ characters use the trigram index; shorter ones scan the text.

    \b
    Example:
        ogi search --archive archive.db 依申请公开
    """
    with Archive(archive_path) as db:
        hits = db.search(query, limit=limit)
    for hit in hits:
        click.echo(json.dumps(hit, ensure_ascii=False))


@click.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The archive to merge into (created if missing).")
def merge(shards: tuple[Path, ...], into: Path) -> None:
    """Merge the archives of several crawl workers into one.

    Bodies and fetches are stored once; every run keeps its worker and its fetches.
    Merging a shard again adds nothing.

    \b
    Example:
        ogi merge worker-1.db worker-2.db --into archive.db
    """
    try:
        counts = merge_shards(shards, into=into)
    except ArchiveError as error:
        click.echo(f"ogi merge: {error}", err=True)
        sys.exit(2)
    click.echo(f"merged {counts['shards']} shards into {into}: " + ", ".join(
        f"{counts[key]} new {key}" for key in ("runs", "bodies", "fetches", "documents", "reports")))


COMMANDS: list[click.Command] = [migrate, reparse, check, export, stats, search, merge]
