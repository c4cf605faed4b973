"""``ogi registry list|check|stats``: the portal registry a crawl of ``county_portals`` uses."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from crawler.registry import (
    CRAWLED_LEVELS, CURATED_REGISTRY, NATIONAL_REGISTRY, RegistryError, division_problems, load_registry,
    read_registry_file, select, write_registry,
)

_PORTALS = click.option("--portals", "portals_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="A registry CSV instead of the bundled one (as `-a portals=` of the crawl).")


def _load(path: Path | None):
    try:
        return load_registry(path)
    except RegistryError as error:
        raise click.ClickException(str(error)) from None


@click.group()
def registry() -> None:
    """The portal registry: the bundled national one (2,844 county portals) or your own.

    \b
    Examples:
        ogi registry list --province 福建 --format csv
        ogi registry check my-portals.csv
        ogi registry stats
    """


def _division_codes(context: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Comma-separated division codes (digits only), refused up front instead of matching nothing."""
    if value is not None and not all(code.strip().isdigit() for code in value.split(",") if code.strip()):
        raise click.BadParameter(f"{value!r}: division codes are digits, e.g. 152223,653024")
    return value


@registry.command("list")
@_PORTALS
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--province", default=None, help="Province names or 2-digit codes, comma-separated.")
@click.option("--city", default=None, help="City names or 4-digit codes, comma-separated.")
@click.option("--codes", default=None, callback=_division_codes, help="Division codes, comma-separated.")
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="A reproducible random sample of this many portals (as `-a sample=`).")
def list_portals(portals_file: Path | None, fmt: str, province: str | None, city: str | None,
                 codes: str | None, sample: int | None) -> None:
    """Print the portals a crawl with the same options would visit.

    \b
    Example:
        ogi registry list --province 福建 --format json
    """
    loaded = _load(portals_file)
    crawled = [p for p in loaded.portals if p.level in CRAWLED_LEVELS]
    chosen = select(crawled, codes=codes, province=province, city=city, sample=sample)
    if fmt == "json":
        click.echo(json.dumps([p.as_row() for p in chosen], ensure_ascii=False, indent=1))
    else:
        write_registry(chosen, sys.stdout)
    for problem in loaded.problems:
        click.echo(f"registry {problem}: skipped", err=True)


@registry.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Validate registry files (the bundled ones when none is given); exit 1 if any row is bad.

    Checks the columns, division codes against the division data, duplicate codes and URLs,
    URL syntax, and hosts that are internal IP addresses or localhost (never crawled).

    \b
    Example:
        ogi registry check my-portals.csv
    """
    bad = 0
    for path in files or (NATIONAL_REGISTRY, CURATED_REGISTRY):
        try:
            loaded = read_registry_file(path)
        except RegistryError as error:
            click.echo(str(error))
            bad += 1
            continue
        unknown = division_problems(loaded.portals)
        problems = sorted(loaded.problems + unknown, key=lambda problem: problem.line)
        for problem in problems:
            click.echo(f"{path}: {problem}")
        bad += len(problems)
        click.echo(f"{path}: {len(loaded.portals) - len(unknown)} rows good, {len(problems)} bad", err=True)
    if bad:
        sys.exit(1)


@registry.command("stats")
@_PORTALS
def stats(portals_file: Path | None) -> None:
    """Count the registry's rows by province and by level.

    \b
    Example:
        ogi registry stats
    """
    loaded = _load(portals_file)
    by_province = Counter(p.province or "(none)" for p in loaded.portals)
    by_level = Counter(p.level for p in loaded.portals)
    by_scheme = Counter(p.url.split(":", 1)[0] for p in loaded.portals)
    click.echo(f"{len(loaded.portals)} portals in {len(by_province)} provinces"
               f" ({len(loaded.problems)} rows skipped)")
    for title, table in (("by level", by_level), ("by scheme", by_scheme), ("by province", by_province)):
        click.echo(f"\n{title}")
        for name, count in sorted(table.items(), key=lambda item: (-item[1], item[0])):
            click.echo(f"  {name:<16} {count:>6}")


COMMANDS: list[click.Command] = [registry]
