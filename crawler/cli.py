"""Commands of this package for the ``ogi`` command line (gathered by ``ogi/cli.py``)."""

from __future__ import annotations

import os
import shlex
import tempfile
import time
from pathlib import Path

import click

from archive.cli import in_existing_directory
from crawler import registry_cli, summary

DEMO_SETTINGS = {
    # The replica runs on loopback in this process: politeness delays would only slow it.
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    # Longer than the replica needs to render a PDF on a busy machine, shorter than its
    # planted slow responses.
    "DOWNLOAD_TIMEOUT": 15,
    "RETRY_BACKOFF_BASE": 0.2,
    "LOG_LEVEL": "WARNING",
}


def crawl_settings(archive: Path, overrides: dict | None = None):
    """The project's settings with ``overrides`` and the archive path on top."""
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.setdict({**(overrides or {}), "OGI_ARCHIVE": str(archive)}, priority="cmdline")
    return settings


def summary_lines(archive_path: Path) -> list[str]:
    """The demo's closing table: portals by status, reports by year and level, failed checks."""
    from archive import Archive

    with Archive(archive_path, read_only=True) as db:
        stats = db.stats()
        portals = list(db.query(
            "SELECT code, name, level, status, reason FROM portals ORDER BY code"))
        failures = list(db.query(
            "SELECT substr(error, 1, instr(error || ':', ':') - 1) AS cause, COUNT(*) AS n"
            " FROM fetches WHERE error IS NOT NULL GROUP BY cause ORDER BY n DESC"))
    lines = ["portals"]
    for row in portals:
        reason = f"  ({row['reason']})" if row["reason"] else ""
        lines.append(f"  {row['code']:<10} {row['level'] or '':<9} {row['status'] or '':<15} {row['name'] or ''}{reason}")
    for title in ("portals by status", "documents by kind", "reports by year and level", "checks failed"):
        lines += ["", title]
        table = stats.get(title) or {}
        lines += [f"  {name:<32} {count:>6}" for name, count in table.items()] or ["  (none)"]
    lines += ["", "failed fetches by cause"]
    lines += [f"  {row['cause']:<32} {row['n']:>6}" for row in failures] or ["  (none)"]
    return lines + ["", *summary.summary_lines(archive_path, sections=("coverage",))]


DEMO_ARCHIVE = Path("ogi-demo.db")


def next_commands(archive_path: Path) -> list[str]:
    """What to try on the demo's archive: browse it, export it, chart it."""
    archive = shlex.quote(str(archive_path))
    return [
        f"ogi serve --archive {archive}",
        f"ogi export --archive {archive} --format csv --kind report --out reports.csv",
        f"ogi stats --archive {archive} --view all --plot charts/",
    ]


@click.command()
@click.option("--seed", default=1, show_default=True, help="Replica network seed.")
@click.option("--portals", "portal_count", type=click.IntRange(min=1), default=None,
              help="Number of county portals in the replica (default 8; 5 or more with faults).")
@click.option("--faults/--no-faults", default=True, show_default=True, help="Plant the replica's faults.")
@click.option("--out", "archive_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEMO_ARCHIVE, show_default=True,
              help="The archive to write; it must not exist yet.")
def demo(seed: int, portal_count: int | None, faults: bool, archive_path: Path) -> None:
    """Start the replica network, crawl it through its proxy, parse, archive and summarise.

    \b
    Examples:
        ogi demo
        ogi demo --out /tmp/demo.db --portals 5
    """
    from scrapy.crawler import CrawlerProcess

    from crawler.replica.network import build_network
    from crawler.replica.server import serve_in_thread

    if archive_path.exists():
        raise click.UsageError(f"{archive_path} exists already: remove it or choose --out NEW.db")
    in_existing_directory(archive_path)
    try:
        network = build_network(seed=seed, portals=portal_count, faults=faults)
    except ValueError as error:  # e.g. too few portals for the faults
        raise click.UsageError(str(error)) from error
    replica = serve_in_thread(network)
    click.echo(f"replica: seed {seed}, {len(network.truth()['portals'])} portals, proxy {replica.proxy_url}")
    os.environ["http_proxy"] = replica.proxy_url
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ogi-demo-") as workdir:
        registry = Path(workdir) / "portals.csv"
        registry.write_text(network.registry_csv(), encoding="utf-8")
        try:
            process = CrawlerProcess(crawl_settings(archive_path, DEMO_SETTINGS))
            process.crawl("county_portals", portals=str(registry))
            process.start()
        finally:
            replica.stop()
    click.echo(f"crawled in {time.monotonic() - started:.0f} s, {len(replica.request_log)} requests\n")
    click.echo("\n".join(summary_lines(archive_path)))
    click.echo(f"\narchive: {archive_path}\nnext, try:")
    click.echo("\n".join(f"  {command}" for command in next_commands(archive_path)))


COMMANDS: list[click.Command] = [demo, *registry_cli.COMMANDS]
