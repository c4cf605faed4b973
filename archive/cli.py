"""Commands of this package for the ``ogi`` command line (gathered by ``ogi/cli.py``).

Each command is a thin shell over one method of ``archive.db.Archive`` or one function of
the researchers' modules (``export``, ``codebook``, ``warc``, ``browse``, ``research``,
``bundle``), which hold the logic and are tested directly.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

import click
from tqdm import tqdm

from archive.db import DEFAULT_ARCHIVE, ENV_VAR, Archive, ArchiveError
from archive.merge import merge_shards
from archive.store import damaged


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


def one_line_errors(command):
    """At the command boundary, a bad archive or an unwritable output is one line, not a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(str(damaged(kwargs.get("archive_path") or Path("archive"), exc))) from None
        except OSError as exc:
            where = next((str(name) for name in (exc.filename, kwargs.get("out"), kwargs.get("directory"))
                          if name is not None), "output")
            raise click.ClickException(f"{where}: {exc.strerror or exc}") from None

    return run


def in_existing_directory(path: Path) -> Path:
    """A file a command creates goes into a directory that exists: a mistyped one is refused,
    not created (``Archive`` itself creates a crawl's archive directory)."""
    if str(path) != ":memory:" and not path.parent.is_dir():
        raise click.ClickException(f"{path.parent}: no such directory")
    return path


def reading(archive_path: Path) -> Archive:
    """The archive opened read-only: a missing, empty or damaged file is an ``ArchiveError``."""
    return Archive(archive_path, read_only=True)


def iso_date(context: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An ISO date or time (2025-01-01, 2025-01-01T08:00:00Z), refused if it is not a real one."""
    if value is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time such as 2025-01-01") from None
    return value


@click.command()
@archive_option
@one_line_errors
def migrate(archive_path: Path) -> None:
    """Create the archive or bring its schema up to date.

    \b
    Example:
        ogi migrate --archive archive.db
    """
    with Archive(in_existing_directory(archive_path)) as db:
        before, after = db.schema_before, db.schema_version
    if before == after:
        click.echo(f"{archive_path}: schema version {after}, up to date")
    else:
        click.echo(f"{archive_path}: schema version {before} -> {after}")


@click.command()
@archive_option
@click.option("--force", is_flag=True,
              help="Parse every body again even at the current parser version (the newest parse wins).")
@click.option("--url", default=None, help="Only the document at this URL (or the final URL it was fetched from).")
@click.option("--print", "print_record", is_flag=True,
              help="With --url: print the record a reparse gives, as JSON, and store nothing.")
@one_line_errors
def reparse(archive_path: Path, force: bool, url: str | None, print_record: bool) -> None:
    """Parse every stored body again with the current parser, without the network.

    Each record is completed from the link archived with its body (the page it hangs
    from, the link text, that page's title), as the crawl completed it. Rows of older
    parser versions stay; the ``current`` view shows the newest. Bodies the current
    parser version already parsed are skipped unless --force.

    \b
    Examples:
        ogi reparse --archive archive.db
        ogi reparse --archive archive.db --force
        ogi reparse --archive archive.db --url http://www.example.gov.cn/art/2024/1/1/art_1_1.html --print
        sqlite3 archive.db "select parser_version, count(*) from current group by 1"
    """
    import parsers  # read at call time: the parser version is whatever is installed now

    if print_record:
        if not url:
            raise click.UsageError("--print needs --url: the document to show")
        with reading(archive_path) as db:
            record = db.reparsed(parsers.parse_document, url)
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    with Archive(archive_path, create=False) as db:
        counts = db.reparse(parsers.parse_document, progress_bar("reparse", "body"), force=force, url=url)
    if url and not counts["parsed"] + counts["skipped"]:
        raise click.ClickException(f"{url}: no document archived at this URL")
    click.echo(
        f"parser {parsers.PARSER_VERSION}: {counts['parsed']} parsed,"
        f" {counts['skipped']} already parsed by this version"
    )


@click.command()
@archive_option
@one_line_errors
def check(archive_path: Path) -> None:
    """Verify the archive; exit 1 with the list of problems if any.

    Runs PRAGMA integrity_check and foreign_key_check, checks that every referenced
    body is present and that every body's bytes hash to its SHA-256. The file is opened
    read-only; a damaged one gets as far as SQLite can read it.

    \b
    Example:
        ogi check --archive archive.db || echo "archive damaged"
    """
    try:
        db = reading(archive_path)
    except ArchiveError as exc:
        if not archive_path.exists():  # nothing to check: one line, as every reading command says it
            raise click.ClickException(str(exc)) from None
        problems = [str(exc)]
    else:
        with db:
            problems = db.check()
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{archive_path}: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"{archive_path}: ok")


def filter_options(command: click.Command) -> click.Command:
    """--province, --year, --level, --kind: each repeatable; records must match every one."""
    for option in reversed((
        click.option("--province", multiple=True, help="Keep only this province (repeatable)."),
        click.option("--year", type=int, multiple=True,
                     help="Keep only reports on this year (repeatable)."),
        click.option("--level", multiple=True,
                     help="Keep only this organ level: county, department, township."),
        click.option("--kind", multiple=True,
                     help="Keep only documents of this kind, e.g. report (repeatable)."),
        click.option("--status", multiple=True, type=click.Choice(["live", "gone", "moved"]),
                     help="Keep only documents in this state; by default gone and moved ones are kept too."),
    )):
        command = option(command)
    return command


def make_filters(province: tuple[str, ...], year: tuple[int, ...], level: tuple[str, ...],
                 kind: tuple[str, ...], status: tuple[str, ...] = ()):
    from archive.export import Filters

    return Filters(province=province, year=year, level=level, kind=kind, status=status)


def progress_bar(desc: str, unit: str, total: int | None = None):
    """A tqdm progress callable for the library functions (on stderr, hidden when piped)."""
    return lambda items: tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr,
                              disable=None)


@click.command()
@archive_option
@click.option("--format", "output_format", type=click.Choice(["csv", "jsonl", "parquet"]),
              default="jsonl", show_default=True)
@click.option("--shape", type=click.Choice(["wide", "long"]), default="wide", show_default=True,
              help="CSV/Parquet: one row per report (wide) or per report and key (long).")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="Output file; - for stdout (not for Parquet).")
@filter_options
@one_line_errors
def export(archive_path: Path, output_format: str, shape: str, out: str,
           province: tuple[str, ...], year: tuple[int, ...], level: tuple[str, ...],
           kind: tuple[str, ...], status: tuple[str, ...]) -> None:
    """Write the newest parse of every document: JSONL records, or CSV/Parquet tables.

    JSONL has one report-schema record per line. CSV (UTF-8 with BOM, for Excel) and
    Parquet are wide (one row per report, one column per key such as t3_new_total) or
    long (report_id, key, value, inferred). See `ogi codebook` for every column.

    \b
    Examples:
        ogi export --archive archive.db --format jsonl --out all.jsonl
        ogi export --archive archive.db --kind report --out reports.jsonl
        ogi export --archive archive.db --kind report --status live --out live.jsonl
        ogi export --archive archive.db --format csv --kind report --out reports.csv
        ogi export --archive archive.db --format parquet --shape long --out values.parquet
        ogi export --archive archive.db --format csv --province 内蒙古自治区 --year 2023 \\
            --level township --kind report --out townships-2023.csv
    """
    from archive.export import export as write_export

    with reading(archive_path) as db:
        try:
            count = write_export(db, out, output_format, shape,
                                 make_filters(province, year, level, kind, status),
                                 progress_bar("export", "document"))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    unit = "row" if output_format != "jsonl" else "record"
    click.echo(f"{count} {unit}(s) written to {out}", err=True)


@click.command()
@archive_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option("--view", "view_names", multiple=True,
              type=click.Choice(["coverage", "timeliness", "format", "failed_checks",
                                 "cross_year", "text_reuse", "all"]),
              help="Add a researcher's view (repeatable; 'all' for every one).")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write PNG charts into this directory.")
@one_line_errors
def stats(archive_path: Path, as_json: bool, view_names: tuple[str, ...],
          plot_dir: Path | None) -> None:
    """Print counts: portals by status, documents by kind, reports by year and level,
    failed checks; with --view, researchers' views of coverage and compliance.

    Views: coverage (portals x years), timeliness (by 31 January, or 31 March for a
    county government's own report), format (2021 vs 2019 template, sections missing),
    failed_checks, cross_year (carried_in vs last year's carried_out), text_reuse
    (share of sentences copied from the organ's previous report).

    \b
    Examples:
        ogi stats --archive archive.db --json
        ogi stats --archive archive.db --view timeliness --view cross_year
        ogi stats --archive archive.db --view all --json > views.json
        ogi stats --archive archive.db --plot charts/

    The charts: coverage by province and year (reports found per county portal,
    labelled in Chinese and English), reports by year and level, new applications by
    year, share published by the deadline.
    """
    from archive import research

    names = research.VIEWS if "all" in view_names else tuple(dict.fromkeys(view_names))
    with reading(archive_path) as db:
        counts: dict = db.stats()
        if names:
            counts.update(research.views(db, names, progress_bar("stats", "document")))
        try:
            charts = research.plot(db, plot_dir) if plot_dir else []
        except ValueError as error:  # no font for the Chinese labels
            raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(counts, ensure_ascii=False, indent=1))
    else:
        for section, rows in counts.items():
            click.echo(f"{section}:")
            if section in research.VIEWS:
                click.echo(research.render_text(section, rows))
                continue
            for name, count in rows.items():
                click.echo(f"  {name}\t{count}")
            if not rows:
                click.echo("  (none)")
    for chart in charts:
        click.echo(str(chart), err=True)


@click.command()
@archive_option
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1_000_000),
              help="At most this many hits.")
@one_line_errors
def search(archive_path: Path, query: str, limit: int) -> None:
    """Full-text search over report titles, organs and text.

    Queries of 3+ characters use the trigram index; shorter ones scan the text.

    \b
    Example:
        ogi search --archive archive.db 依申请公开
    """
    with reading(archive_path) as db:
        hits = db.search(query, limit=limit)
    for hit in hits:
        click.echo(json.dumps(hit, ensure_ascii=False))


@click.command()
@archive_option
@click.option("--since", required=True, callback=iso_date, help="An ISO date or time, e.g. 2025-01-01.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@one_line_errors
def changes(archive_path: Path, since: str, as_json: bool) -> None:
    """List the reports that are new, changed (a new version), gone or moved since a date.

    Gone and moved documents are never deleted; each carries its evidence.

    \b
    Example:
        ogi changes --archive archive.db --since 2025-01-01
    """
    with reading(archive_path) as db:
        found = db.changes(since)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    for what, rows in found.items():
        click.echo(f"{what}: {len(rows)}")
        for row in rows:
            if what == "moved":
                click.echo(f"  {row['from_url']} -> {row['to_url']}  {row['organ'] or ''} {row['report_year'] or ''}")
            else:
                detail = row.get("gone_evidence") or ""
                click.echo(f"  {row['url']}  {row['organ'] or ''} {row['report_year'] or ''}  {detail}".rstrip())


@click.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The archive to merge into (created if missing).")
@one_line_errors
def merge(shards: tuple[Path, ...], into: Path) -> None:
    """Merge the archives of several crawl workers into one.

    Bodies and fetches are stored once; every run keeps its worker and its fetches.
    Merging a shard again adds nothing.

    \b
    Example:
        ogi merge worker-1.db worker-2.db --into archive.db
    """
    try:
        counts = merge_shards(shards, into=in_existing_directory(into))
    except ArchiveError as error:
        click.echo(f"ogi merge: {error}", err=True)
        sys.exit(2)
    click.echo(f"merged {counts['shards']} shards into {into}: " + ", ".join(
        f"{counts[key]} new {key}" for key in ("runs", "bodies", "fetches", "documents", "reports")))


# -- researchers' access (issue 7) --------------------------------------------------


@click.command()
@click.option("--out", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("codebook"), show_default=True, help="Directory to write into.")
@one_line_errors
def codebook(directory: Path) -> None:
    """Write the codebook (codebook.md and codebook.csv) of every export column.

    Generated from the key registry: for each key its Chinese label as printed, English
    label, table, type, the templates (2021/2019) that print it and the checks it is in.

    \b
    Example:
        ogi codebook --out release/
    """
    from archive import codebook as codebook_module

    for path in codebook_module.write(directory):
        click.echo(str(path))


@click.command()
@archive_option
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WARC file to write, e.g. archive.warc.gz.")
@click.option("--cdxj", "with_cdxj", is_flag=True,
              help="Also write its CDXJ index beside it (archive.warc.gz -> archive.cdxj).")
@one_line_errors
def warc(archive_path: Path, out: Path, with_cdxj: bool) -> None:
    """Write every archived HTTP exchange as a gzipped WARC file.

    Request and response records for each fetch, revisit records for bodies already
    written, a metadata record naming the archive's fetch id and crawl run. With --cdxj,
    the sorted CDXJ index (SURT, timestamp, URL, digest, WARC offset and length) too.

    \b
    Example:
        ogi warc --archive archive.db --out archive.warc.gz --cdxj
        warcio check archive.warc.gz && head archive.cdxj
    """
    from archive.warc import write_warc
    from archive.wacz import cdxj_path, write_cdxj

    with reading(archive_path) as db:
        counts = write_warc(db, out, progress_bar("warc", "fetch"))
    click.echo(f"{out}: " + ", ".join(f"{count} {name}" for name, count in counts.items()))
    if with_cdxj:
        index = cdxj_path(out)
        click.echo(f"{index}: {write_cdxj(out, index)} lines")


@click.command()
@archive_option
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WACZ file to write, e.g. crawl.wacz.")
@one_line_errors
def wacz(archive_path: Path, out: Path) -> None:
    """Package every archived HTTP exchange as a WACZ file for web-archive replay tools.

    The WARC (unchanged), its CDXJ index, pages/pages.jsonl (every report and the page it
    hangs from, with its title) and datapackage.json with each file's SHA-256.

    Replay it in ReplayWeb.page, or in pywb (which pins redis 2.10: give it its own
    virtualenv) with `wb-manager init c && wb-manager add --unpack-wacz c crawl.wacz &&
    wayback`.

    \b
    Example:
        ogi wacz --archive archive.db --out crawl.wacz
        wacz validate -f crawl.wacz
    """
    from archive.wacz import write_wacz

    with reading(archive_path) as db:
        counts = write_wacz(db, out, progress_bar("wacz", "fetch"))
    click.echo(f"{out}: " + ", ".join(f"{count} {name}" for name, count in counts.items()))


@click.command()
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--research-db", "research_path", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Where to build the research snapshot (default: a temporary file).")
@one_line_errors
def serve(archive_path: Path, host: str, port: int, research_path: Path | None) -> None:
    """Browse the archive in Datasette (read-only) with the codebook as metadata.

    Opens on a research snapshot built at start-up: reports faceted by province, year,
    level, kind and table format; one row per organ and year (report_units); every
    printed value with its labels; the codebook; and canned queries (reports per county
    and year, late reports, reports failing a check, carried-in vs last year's
    carried-out, organs with no report for a year). The archive itself is served too
    (raw tables, full-text search of report text). Every sha256 links to the archived
    bytes at /-/ogi/body/<sha256>.

    \b
    Example:
        ogi serve --archive archive.db --port 8001
        curl 'http://127.0.0.1:8001/research/reports.json?province=江西省&_facet=report_year'
        curl 'http://127.0.0.1:8001/research/late_reports.json?_shape=array'
    """
    import tempfile

    from archive.browse import serve as serve_datasette

    reading(archive_path).close()  # a missing or damaged archive is refused before serving
    with tempfile.TemporaryDirectory(prefix="ogi-serve-") as scratch:
        snapshot = research_path or Path(scratch) / "research.db"
        click.echo(f"serving {archive_path} read-only at http://{host}:{port}/", err=True)
        serve_datasette(archive_path, snapshot, host, port, progress_bar("snapshot", "document"))


@click.command()
@archive_option
@click.option("--out", "directory", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="A new (or empty) directory for the release.")
@click.option("--warc/--no-warc", "with_warc", default=False, show_default=True,
              help="Also include every HTTP exchange as archive.warc.gz, and its archive.cdxj index.")
@one_line_errors
def bundle(archive_path: Path, directory: Path, with_warc: bool) -> None:
    """Write a dataset release: the database, CSV/Parquet/JSONL exports, the codebook,
    a README describing the crawl runs, and SHA256SUMS.

    \b
    Example:
        ogi bundle --archive archive.db --out release-2026-11/
        cd release-2026-11 && sha256sum -c SHA256SUMS
    """
    from archive.bundle import bundle as write_bundle

    with reading(archive_path) as db:
        try:
            files = write_bundle(db, directory, with_warc, progress_bar("bundle", "file"))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    for path in files:
        click.echo(str(path))


COMMANDS: list[click.Command] = [migrate, reparse, check, export, stats, search, changes, merge, codebook, warc, wacz, serve, bundle]
