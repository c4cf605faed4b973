"""Commands of this package for the ``ogi`` command line (gathered by ``ogi/cli.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from parsers import complete_from_links, parse_document


def parse_to_json(body: bytes, url: str | None = None, content_type: str | None = None,
                  page: dict | None = None, link_text: str | None = None) -> str:
    """The core of ``ogi parse``: bytes → the record as JSON (also for re-parsing stored bodies).

    An archived attachment is completed from its page's record and link text, as the crawl did.
    """
    record = complete_from_links(parse_document(body, url=url, content_type=content_type), page, link_text)
    return json.dumps(record, ensure_ascii=False, indent=2)


def _fail(reason: str) -> NoReturn:
    click.echo(f"ogi parse: {reason}", err=True)
    sys.exit(2)


def _archived_body(archive_path: Path, url: str) -> tuple[bytes, str | None, str, dict | None, str | None]:
    """(body, content type, final URL) of the newest stored fetch of ``url``; and, for an
    attachment, the record of the page it hangs from and the text of the link to it."""
    # Archive() creates a missing database: a mistyped path must not leave an empty one behind
    if not archive_path.is_file():
        _fail(f"no archive at {archive_path}")
    from archive.db import Archive, ArchiveError  # the archive is only needed for --archive

    with Archive(archive_path) as db:
        try:
            body, content_type, final_url = db.body_for_url(url)
        except ArchiveError as exc:
            _fail(f"{url} is not archived in {archive_path} ({exc})")
        document = db.one("SELECT id FROM documents WHERE url IN (?, ?) AND attachment_of_id IS NOT NULL",
                          (url, final_url))
        page, link_text = db.linking_page(document["id"]) if document else (None, None)
        return body, content_type, final_url, page, link_text


@click.command("parse")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--url", default=None,
              help="The URL the document was fetched from (resolves attachment links); with --archive, "
                   "the stored document to re-parse.")
@click.option("--content-type", "content_type", default=None, help="The Content-Type header it was served with.")
@click.option("--archive", "archive_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Re-parse the body stored for --url in this archive instead of reading PATH.")
def parse(path: Path | None, url: str | None, content_type: str | None, archive_path: Path | None) -> None:
    """Parse one report document (HTML, text, PDF, DOCX) and print its record as JSON.

    \b
    Examples:
        ogi parse report.html --url http://www.example.gov.cn/art/2024/1/1/art_1_1.html
        ogi parse --archive archive.db --url http://www.example.gov.cn/art/2024/1/1/art_1_1.html
    """
    if archive_path is not None:
        if path is not None:
            _fail("give either PATH or --archive with --url, not both")
        if not url:
            _fail("--archive needs --url: the document to re-parse")
        body, stored_type, final_url, page, link_text = _archived_body(archive_path, url)
        click.echo(parse_to_json(body, url=final_url or url, content_type=content_type or stored_type,
                                 page=page, link_text=link_text))
        return
    if path is None:
        _fail("give a PATH to parse, or --archive DB --url URL")
    try:
        body = path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    click.echo(parse_to_json(body, url=url, content_type=content_type))


COMMANDS: list[click.Command] = [parse]
