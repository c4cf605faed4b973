"""The six sections, found by their headings (which vary, see report-format.md)."""

from __future__ import annotations

from parsers import keys, labels


def heading_positions(lines: list[str]) -> dict[str, int]:
    """Line index of each section heading found, in document order."""
    found: dict[str, int] = {}
    order = 0
    for i, line in enumerate(lines):
        if len(line) > 80:  # a heading is short; skip normalising prose
            continue
        text = labels.normalise(line)
        if len(text) > 40:
            continue
        for position, (key, pattern) in enumerate(keys.SECTION_PATTERNS):
            if key not in found and position >= order and pattern.match(text):
                found[key] = i
                order = position
                break
    return found


def split(lines: list[str], positions: dict[str, int]) -> dict[str, str]:
    ordered = sorted(positions.items(), key=lambda item: item[1])
    sections = {key: "" for key in keys.SECTION_KEYS}
    for n, (key, start) in enumerate(ordered):
        end = ordered[n + 1][1] if n + 1 < len(ordered) else len(lines)
        sections[key] = "\n".join(line.strip() for line in lines[start + 1:end] if line.strip())
    return sections
