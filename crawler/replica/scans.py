"""Reports as portals publish them when nobody kept the text: Word 97 / WPS / RTF files and scans.

DOC, WPS and RTF attachments are the replica's DOCX converted by LibreOffice, as an office
that still saves in the old format would produce them (WPS Office's .wps is the Word 97
binary format). Scans are the replica's own printed report rasterised and degraded the
way a scanner and a careless upload degrade it. Conversions are cached per process:
LibreOffice takes seconds per document and a network serves the same bytes every time.
This package never imports ``parsers``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# LibreOffice's export filter for each extension served
WORD_EXPORTS = {"doc": "doc:MS Word 97", "wps": "doc:MS Word 97", "rtf": "rtf:Rich Text Format"}
_CONVERT_TIMEOUT = 60.0


class ReplicaToolMissing(RuntimeError):
    """A system tool the replica needs to render a document kind is not installed."""


@functools.lru_cache(maxsize=256)
def docx_as(docx_bytes: bytes, extension: str) -> bytes:
    """The bytes LibreOffice saves for a DOCX as ``extension`` (a .wps is the Word 97 format)."""
    if extension not in WORD_EXPORTS:
        raise ValueError(f"extension must be one of {sorted(WORD_EXPORTS)}, not {extension!r}")
    executable = shutil.which("soffice") or shutil.which("libreoffice")
    if executable is None:
        raise ReplicaToolMissing("the replica renders DOC and WPS files with LibreOffice (soffice): not installed")
    with tempfile.TemporaryDirectory(prefix="replica-doc-") as work:
        Path(work, "report.docx").write_bytes(docx_bytes)
        subprocess.run([executable, f"-env:UserInstallation={Path(work, 'profile').as_uri()}", "--headless",
                        "--norestore", "--convert-to", WORD_EXPORTS[extension], "--outdir", work, "report.docx"],
                       cwd=work, env=dict(os.environ, HOME=work), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=_CONVERT_TIMEOUT, check=True)
        return Path(work, "report." + WORD_EXPORTS[extension].split(":")[0]).read_bytes()
