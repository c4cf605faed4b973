"""Caps a ZIP-based document (DOCX, XLSX, ...) must pass before any member is inflated.

A few hundred kilobytes of DEFLATE can inflate to gigabytes (a "zip bomb"); python-docx
reads every part into memory and parses its XML into a tree several times larger. The
central directory declares each member's inflated size and ``zipfile`` never inflates a
member past it, so checking the declared sizes bounds what reading can cost. The caps are
far above any real report: an annual report's DOCX is a few dozen members, its
document.xml a few megabytes, and XML compresses about 10:1.
"""

from __future__ import annotations

import zipfile

MAX_MEMBERS = 5_000
MAX_TOTAL_BYTES = 256 * 2**20  # all members inflated
MAX_XML_BYTES = 32 * 2**20  # one XML part inflated: its parsed tree takes several times this
MAX_RATIO = 100  # inflated / compressed, for members of more than RATIO_FROM bytes
RATIO_FROM = 2**20


def over_cap(archive: zipfile.ZipFile) -> str | None:
    """Why the archive must not be inflated (which cap it exceeds), or None."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        return f"ZIP/DOCX of {len(members)} members exceeds the cap of {MAX_MEMBERS} members"
    for member in members:
        if member.filename.endswith((".xml", ".rels")) and member.file_size > MAX_XML_BYTES:
            return (f"ZIP/DOCX member {member.filename} inflating to {_mib(member.file_size)} exceeds "
                    f"the cap of {_mib(MAX_XML_BYTES)} per XML part")
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            return (f"ZIP/DOCX member {member.filename} compressed "
                    f"{member.file_size // max(member.compress_size, 1)}:1 exceeds the cap of {MAX_RATIO}:1")
    total = sum(m.file_size for m in members)
    if total > MAX_TOTAL_BYTES:
        return f"ZIP/DOCX inflating to {_mib(total)} exceeds the cap of {_mib(MAX_TOTAL_BYTES)}"
    return None


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"
