"""The archive's HTTP exchanges as a standard web archive (WARC 1.0, gzip per record).

Every fetch with an HTTP status becomes a ``request`` and a ``response`` record at the
URL that answered (the final URL after redirects); a fetch whose body was already
written earlier becomes a ``revisit`` record (identical-payload-digest) that refers to
the first response, as Heritrix and warcprox do. A ``metadata`` record beside each
response names the archive's fetch id, crawl run and the URL first requested.
Fetches that failed before any HTTP answer (DNS, timeouts) have nothing to write and
are counted.

Bodies are stored decoded, so a response's ``Content-Encoding`` and
``Transfer-Encoding`` no longer describe its bytes: they are kept under the
``X-Archive-Orig-`` prefix (as pywb does) and ``Content-Length`` is the body's length.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.db import Archive

WARC_VERSION = "1.0"
SOFTWARE = "ogi-archive (archive/warc.py, warcio)"
RENAMED_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
ORIGINAL_PREFIX = "X-Archive-Orig-"

Progress = Callable[[Iterable[Any]], Iterable[Any]]


@dataclass
class FirstCapture:
    """Where a body was first written, for the revisit records that point to it."""

    uri: str
    date: str
    record_id: str
    payload_digest: str


def warc_date(timestamp: str) -> str:
    """``2026-11-22T10:00:00.123456Z`` -> ``2026-11-22T10:00:00Z`` (WARC 1.0 has seconds)."""
    return timestamp[:19] + "Z"


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def response_headers(stored: dict[str, str], body_length: int) -> list[tuple[str, str]]:
    """The recorded headers made true of the stored (decoded) bytes."""
    headers = []
    for name, value in stored.items():
        headers.append((ORIGINAL_PREFIX + name if name.lower() in RENAMED_HEADERS else name, value))
    headers.append(("Content-Length", str(body_length)))
    return headers


def request_headers(stored: dict[str, str], url: str) -> list[tuple[str, str]]:
    headers = list(stored.items())
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", urlsplit(url).netloc))  # HTTP/1.1 always sends it
    return headers


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def write_warc(
    db: Archive, out: Path, progress: Progress = iter
) -> dict[str, int]:
    """Write every archived exchange of ``db`` to ``out`` (gzipped WARC); return counts."""
    counts = {"request": 0, "response": 0, "revisit": 0, "metadata": 0, "failed fetches": 0}
    first: dict[str, FirstCapture] = {}
    runs = {row["id"]: row for row in db.query("SELECT id, uid, started_at, finished_at,"
                                               " code_version, worker FROM crawl_runs")}
    fetch_ids = [row["id"] for row in db.query("SELECT id FROM fetches ORDER BY id")]
    with out.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True, warc_version=WARC_VERSION)
        writer.write_record(writer.create_warcinfo_record(out.name, {
            "software": SOFTWARE,
            "format": f"WARC File Format {WARC_VERSION}",
            "description": "HTTP exchanges of ogi-archive crawls of county and township"
                           " government portals (annual reports on information disclosure)",
            "ogi-crawl-runs": json.dumps(list(runs.values()), ensure_ascii=False),
        }))
        for fetch_id in progress(fetch_ids):
            fetch = db.fetch(fetch_id)
            if fetch["status"] is None:
                counts["failed fetches"] += 1
                continue
            _write_exchange(db, writer, fetch, runs.get(fetch["run_id"]), first, counts)
    return counts


def _write_exchange(
    db: Archive,
    writer: WARCWriter,
    fetch: dict[str, Any],
    run: dict[str, Any] | None,
    first: dict[str, FirstCapture],
    counts: dict[str, int],
) -> None:
    uri = fetch["final_url"] or fetch["url"]
    date = warc_date(fetch["fetched_at"])
    body = db.body(fetch["sha256"]) if fetch["sha256"] else b""
    http_response = StatusAndHeaders(
        _status_line(fetch["status"]),
        response_headers(json.loads(fetch["response_headers"] or "{}"), len(body)),
        protocol="HTTP/1.1",
    )
    earlier = first.get(fetch["sha256"]) if fetch["sha256"] else None
    if earlier is not None:
        response = writer.create_revisit_record(
            uri, earlier.payload_digest, earlier.uri, earlier.date,
            http_headers=http_response,
            warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": earlier.record_id},
        )
        counts["revisit"] += 1
    else:
        response = writer.create_warc_record(
            uri, "response", payload=BytesIO(body), length=len(body),
            http_headers=http_response, warc_headers_dict={"WARC-Date": date},
        )
        counts["response"] += 1
        if fetch["sha256"] and body:
            first[fetch["sha256"]] = FirstCapture(
                uri, date, response.rec_headers.get_header("WARC-Record-ID"),
                response.rec_headers.get_header("WARC-Payload-Digest"),
            )
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    http_request = StatusAndHeaders(
        f"{fetch['method'] or 'GET'} {_request_target(uri)} HTTP/1.1",
        request_headers(json.loads(fetch["request_headers"] or "{}"), uri),
        is_http_request=True,
    )
    request = writer.create_warc_record(
        uri, "request", http_headers=http_request,
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
    )
    writer.write_record(response)
    writer.write_record(request)
    counts["request"] += 1

    fields = {"ogi-fetch-id": str(fetch["id"]), "ogi-sha256": fetch["sha256"] or ""}
    if run:
        fields["ogi-crawl-run"] = run["uid"]
    if fetch["url"] != uri:
        fields["ogi-requested-uri"] = fetch["url"]
    block = "".join(f"{name}: {value}\r\n" for name, value in fields.items()).encode("utf-8")
    writer.write_record(writer.create_warc_record(
        uri, "metadata", payload=BytesIO(block), length=len(block),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
    ))
    counts["metadata"] += 1
