"""Commands of this package for the ``ogi`` command line (gathered by ``ogi/cli.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import click

from parsers import parse_document


def _fail(reason: str) -> NoReturn:
    click.echo(f"ogi parse: {reason}", err=True)
    sys.exit(2)


def _absolute_url(context: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An absolute http(s) URL, refused up front: attachment links are resolved against it."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an absolute http(s) URL")
    return value


@click.command("parse")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--url", default=None, callback=_absolute_url, help="The URL the document was fetched from (resolves attachment links).")
@click.option("--content-type", "content_type", default=None, help="The Content-Type header it was served with.")
def parse(path: Path, url: str | None, content_type: str | None) -> None:
    """Parse one report document (HTML, text, PDF, DOCX) and print its record as JSON.

    A document stored in an archive is re-parsed with ``ogi reparse --archive DB --url URL
    --print``, which completes it from the link that led to it, as the crawl did.

    \b
    Examples:
        ogi parse report.html --url http://www.example.gov.cn/art/2024/1/1/art_1_1.html
    """
    try:
        body = path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    record = parse_document(body, url=url, content_type=content_type)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


COMMANDS: list[click.Command] = [parse]
