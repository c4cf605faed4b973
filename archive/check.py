"""The archive's integrity check: SQLite's own checks, dangling references, every body's hash."""

from __future__ import annotations

import sqlite3
import zlib

from archive.store import ArchiveError, Store, decompress, sha256_hex


class Checks(Store):
    """``check()``: every integrity problem of the archive."""

    def check(self) -> list[str]:
        """Every integrity problem found (empty when the archive is sound).

        A damaged file gets as far as it can: each part that SQLite cannot read is one
        problem in the list, never an exception.
        """
        problems: list[str] = []
        for what, part in (("SQLite's own checks", self._sqlite_checks),
                           ("references between rows", self._dangling_references),
                           ("stored bodies", self._body_hashes)):
            try:
                problems += part()
            except sqlite3.DatabaseError as exc:
                problems.append(f"{what}: cannot be checked ({exc})")
        return problems

    def _sqlite_checks(self) -> list[str]:
        """What PRAGMA integrity_check and foreign_key_check find."""
        problems = [
            f"integrity_check: {message}"
            for (message,) in self.conn.execute("PRAGMA integrity_check")
            if message != "ok"
        ]
        return problems + [
            f"foreign key: {table} row {rowid} points at a missing {parent} row"
            for table, rowid, parent, _ in self.conn.execute("PRAGMA foreign_key_check")
        ]

    def _dangling_references(self) -> list[str]:
        """References between rows that point nowhere."""
        return [
            f"{label}: {row[0]} references missing {row[1]}"
            for label, sql in _DANGLING_REFERENCES
            for row in self.conn.execute(sql)
        ]

    def _body_hashes(self) -> list[str]:
        """Stored bodies whose bytes are not what their hash and size say."""
        problems = []
        for sha256, size, compression, compressed in self.conn.execute(
            "SELECT sha256, size, compression, compressed FROM bodies"
        ):
            try:
                data = decompress(compression, compressed)
            except (ArchiveError, zlib.error) as exc:
                problems.append(f"body {sha256}: cannot decompress ({exc})")
                continue
            if sha256_hex(data) != sha256:
                problems.append(f"body {sha256}: bytes hash to {sha256_hex(data)}")
            elif len(data) != size:
                problems.append(f"body {sha256}: {len(data)} bytes, recorded size {size}")
        return problems


# Spelled out because foreign_key_check only covers declared keys; these name the row.
_DANGLING_REFERENCES: tuple[tuple[str, str], ...] = (
    ("fetch body", "SELECT 'fetch ' || id, 'body ' || sha256 FROM fetches"
     " WHERE sha256 IS NOT NULL AND sha256 NOT IN (SELECT sha256 FROM bodies)"),
    ("document body", "SELECT 'document ' || id, 'body ' || sha256 FROM documents"
     " WHERE sha256 NOT IN (SELECT sha256 FROM bodies)"),
    ("document fetch", "SELECT 'document ' || id, 'fetch ' || last_fetch_id FROM documents"
     " WHERE last_fetch_id NOT IN (SELECT id FROM fetches)"),
    ("report body", "SELECT 'report ' || id, 'body ' || sha256 FROM reports"
     " WHERE sha256 NOT IN (SELECT sha256 FROM bodies)"),
    ("report fetch", "SELECT 'report ' || id, 'fetch ' || fetch_id FROM reports"
     " WHERE fetch_id NOT IN (SELECT id FROM fetches)"),
    ("report document", "SELECT 'report ' || id, 'document ' || document_id FROM reports"
     " WHERE document_id NOT IN (SELECT id FROM documents)"),
    ("report fetch body", "SELECT 'report ' || reports.id, 'the body of fetch ' || fetches.id"
     " FROM reports JOIN fetches ON fetches.id = reports.fetch_id"
     " WHERE fetches.sha256 IS NOT reports.sha256"),
    ("report run", "SELECT 'report ' || id, 'run ' || run_id FROM reports"
     " WHERE run_id IS NOT NULL AND run_id NOT IN (SELECT id FROM crawl_runs)"),
)

