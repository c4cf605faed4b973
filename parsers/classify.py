"""Is this document a report, a look-alike, or something we cannot read as text?"""

from __future__ import annotations

from parsers import labels


def classify(title: str | None, head: str, tables_found: set[int]) -> tuple[str, str]:
    """(kind, reason) for a readable text document."""
    subject = title or head
    for pattern, what in labels.LOOKALIKE_TITLES:
        if pattern.search(subject):
            return "not_report", f"the title says this is {what}"
    if 3 in tables_found or 2 in tables_found:
        printed = ", ".join(f"table {n}" for n in sorted(tables_found))
        return "report", f"found {printed} by their labels"
    if title and labels.REPORT_TITLE.search(title):
        return "not_report", "the title names a report but tables 2–4 are not in the document"
    return "not_report", "no report title and no tables 2–4"
