"""The six sections, found by their headings (which vary, see report-format.md)."""

from __future__ import annotations

from functools import lru_cache

from parsers import keys, labels


def heading_positions(lines: list[str]) -> dict[str, int]:
    """Line index of each section heading found, in document order."""
    found: dict[str, int] = {}
    order = 0
    for i, line in enumerate(lines):
        if len(line) > 80:  # a heading is short; skip normalising prose
            continue
        for position in _headings_matched(line):
            key = keys.SECTION_PATTERNS[position][0]
            if key not in found and position >= order:
                found[key] = i
                order = position
                break
    return found


@lru_cache(maxsize=16384)
def _headings_matched(line: str) -> tuple[int, ...]:
    """Positions in keys.SECTION_PATTERNS of the headings ``line`` reads as (the same short
    lines, menus and footers, recur on every page of a portal)."""
    text = labels.normalise(line)
    if len(text) > 40:
        return ()
    return tuple(position for position, (_, pattern) in enumerate(keys.SECTION_PATTERNS) if pattern.match(text))


def split(lines: list[str], positions: dict[str, int]) -> dict[str, str]:
    ordered = sorted(positions.items(), key=lambda item: item[1])
    sections = {key: "" for key in keys.SECTION_KEYS}
    for n, (key, start) in enumerate(ordered):
        end = ordered[n + 1][1] if n + 1 < len(ordered) else len(lines)
        sections[key] = "\n".join(line.strip() for line in lines[start + 1:end] if line.strip())
    return sections
