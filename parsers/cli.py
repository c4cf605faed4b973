"""Commands of this package for the ``ogi`` command line (gathered by ``ogi/cli.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from parsers import parse_document


def parse_to_json(body: bytes, url: str | None = None, content_type: str | None = None) -> str:
    """The core of ``ogi parse``: bytes → the record as JSON (also for re-parsing stored bodies)."""
    return json.dumps(parse_document(body, url=url, content_type=content_type), ensure_ascii=False, indent=2)


@click.command("parse")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--url", default=None, help="The URL the document was fetched from (resolves attachment links).")
@click.option("--content-type", "content_type", default=None, help="The Content-Type header it was served with.")
def parse(path: Path, url: str | None, content_type: str | None) -> None:
    """Parse one report document (HTML, text, PDF, DOCX) and print its record as JSON."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        click.echo(f"ogi parse: cannot read {path}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(parse_to_json(body, url=url, content_type=content_type))


COMMANDS: list[click.Command] = [parse]
