"""The archive as a WACZ package (Web Archive Collection Zipped, format 1.1.1), the form
in which web archives exchange crawls (ReplayWeb.page, pywb, Browsertrix).

The WARC of ``archive/warc.py`` stays the master copy; the package holds it unchanged:

- ``archive/data.warc.gz``: the WARC, stored (not deflated) so replay can seek in it;
- ``indexes/index.cdx.gz`` + ``indexes/index.idx``: its CDXJ index, compressed in blocks
  of ``INDEX_BLOCK_LINES`` lines (ZipNum) with the secondary index naming each block;
- ``pages/pages.jsonl``: one line per report document and per page an attachment hangs
  from, with its title as printed, at the URL and time of the capture the archive parsed;
- ``datapackage.json``: every file with its ``sha256:`` digest and size, and
  ``datapackage-digest.json``: the digest of ``datapackage.json``.

Digests: the WARC's records carry warcio's SHA-1 base32 (``sha1:``) block and payload
digests, and the CDXJ ``digest`` field repeats the payload one; the package's files are
listed by ``sha256:`` base16, as py-wacz does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from cdxj_indexer import CDXJIndexer

from archive.db import Archive
from archive.export import records
from archive.store import sha256_file
from archive.warc import SOFTWARE, warc_date, write_warc

WACZ_VERSION = "1.1.1"
WARC_ENTRY = "archive/data.warc.gz"
INDEX_ENTRY = "indexes/index.cdx.gz"
INDEX_IDX_ENTRY = "indexes/index.idx"
PAGES_ENTRY = "pages/pages.jsonl"
INDEX_BLOCK_LINES = 1024  # CDXJ lines per compressed block, as ArchiveWeb.page writes them
PAGE_KINDS = ("report", "image_only")  # documents listed as pages, with their pages
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages",
                "title": "Reports and the pages they hang from"}

Progress = Callable[[Iterable[Any]], Iterable[Any]]


def index_warc(warc: Path, output: IO[str], compress: IO[bytes] | None = None,
               filename: str | None = None) -> None:
    """Write the sorted CDXJ index of ``warc`` to ``output`` (or, with ``compress``, the
    compressed blocks there and the secondary index to ``output``).

    ``filename`` is the name the lines give the WARC (default: its own name)."""
    indexer_options: dict[str, Any] = {"lines": INDEX_BLOCK_LINES}
    if compress is not None:
        indexer_options.update(compress=compress, data_out_name=Path(INDEX_ENTRY).name)
    CDXJIndexer(output, str(warc), sort=True, post_append=True,
                filename=filename or warc.name, **indexer_options).process_all()


def cdxj_path(warc: Path) -> Path:
    """``archive.warc.gz`` -> ``archive.cdxj`` (beside it)."""
    name = warc.name
    for suffix in (".gz", ".warc"):
        name = name.removesuffix(suffix)
    return warc.with_name(name + ".cdxj")


def write_cdxj(warc: Path, out: Path) -> int:
    """The CDXJ index of ``warc`` as a plain text file; return its line count."""
    buffer = io.StringIO()
    index_warc(warc, buffer)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return buffer.getvalue().count("\n")


def pages(db: Archive) -> list[dict[str, Any]]:
    """``pages.jsonl`` entries: every report document, and every page a report hangs from."""
    everything = {record["source"]["url"]: record for record in records(db)}
    listed: dict[str, dict[str, Any]] = {}
    for record in sorted(everything.values(), key=lambda r: r["report_id"]):
        if record.get("kind") not in PAGE_KINDS:
            continue
        page = everything.get(record["source"].get("attachment_of") or "")
        for document in ([page] if page else []) + [record]:
            source = document["source"]
            uri = source.get("final_url") or source["url"]
            if uri in listed or not source.get("fetched_at"):
                continue
            entry = {"url": uri, "ts": warc_date(source["fetched_at"])}
            if document.get("title"):
                entry["title"] = document["title"]
            listed[uri] = entry
    return list(listed.values())


def write_wacz(db: Archive, out: Path, progress: Progress = iter) -> dict[str, int]:
    """Write the archive to ``out`` as a WACZ file; return counts. ``out`` is opened
    first, so an unwritable path fails before the WARC is written; a failed package is
    removed rather than left half written."""
    package = zipfile.ZipFile(out, "w")
    try:
        with package, tempfile.TemporaryDirectory(prefix="ogi-wacz-") as scratch:
            return _fill(db, package, Path(scratch), progress)
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def _fill(db: Archive, package: zipfile.ZipFile, scratch: Path, progress: Progress
          ) -> dict[str, int]:
    warc = scratch / Path(WARC_ENTRY).name
    counts = write_warc(db, warc, progress)
    page_entries = pages(db)
    pages_bytes = "".join(json.dumps(line, ensure_ascii=False) + "\n"
                          for line in [PAGES_HEADER, *page_entries]).encode("utf-8")
    blocks, secondary = io.BytesIO(), io.StringIO()
    index_warc(warc, secondary, compress=blocks)
    # The WARC and the index blocks are gzip already, and replay reads them by offset:
    # stored. The small text files are deflated.
    package.write(warc, WARC_ENTRY, compress_type=zipfile.ZIP_STORED)
    resources = [_resource(WARC_ENTRY, sha256_file(warc), warc.stat().st_size)]
    for entry, data, compression in (
        (INDEX_ENTRY, blocks.getvalue(), zipfile.ZIP_STORED),
        (INDEX_IDX_ENTRY, secondary.getvalue().encode("utf-8"), zipfile.ZIP_DEFLATED),
        (PAGES_ENTRY, pages_bytes, zipfile.ZIP_DEFLATED),
    ):
        package.writestr(entry, data, compress_type=compression)
        resources.append(_resource(entry, hashlib.sha256(data).hexdigest(), len(data)))
    datapackage = json.dumps({
        "profile": "data-package",
        "resources": resources,
        "title": "ogi-archive crawl",
        "description": "HTTP exchanges of ogi-archive crawls of county and township"
                       " government portals: annual reports on government information"
                       " disclosure (政府信息公开工作年度报告).",
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wacz_version": WACZ_VERSION,
        "software": SOFTWARE,
    }, ensure_ascii=False, indent=2).encode("utf-8")
    package.writestr("datapackage.json", datapackage, compress_type=zipfile.ZIP_DEFLATED)
    digest = {"path": "datapackage.json",
              "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()}
    package.writestr("datapackage-digest.json", json.dumps(digest, indent=2),
                     compress_type=zipfile.ZIP_DEFLATED)
    return {**counts, "pages": len(page_entries)}


def _resource(path: str, sha256: str, size: int) -> dict[str, Any]:
    return {"name": Path(path).name.lower(), "path": path, "hash": f"sha256:{sha256}",
            "bytes": size}
