"""PARSER_VERSION: changes whenever the parser's output could change.

It hashes the parser's own source files and the versions of the libraries that shape the
output (trafilatura, pypdfium2, python-docx, zhconv, lxml), so that an edited label
pattern or an upgraded extractor gives a new version and the archive knows to re-parse.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_BASE = "1"
_LIBRARIES = ("trafilatura", "pypdfium2", "python-docx", "zhconv", "lxml", "ogi-archive")


def _compute() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return f"{_BASE}+{digest.hexdigest()[:12]}"


PARSER_VERSION = _compute()
