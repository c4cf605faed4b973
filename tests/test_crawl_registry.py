"""The portal registry: reading, filtering, malformed rows, refused hosts, the bundled national registry."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from click.testing import CliRunner

from crawler import divisions
from crawler.registry import (
    CURATED_REGISTRY, NATIONAL_REGISTRY, RegistryError, load_registry, parse_registry, read_registry_file,
    registry_diff, select, write_registry,
)
from ogi.cli import main as ogi

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


def test_filters_by_code_province_and_city():
    portals = load_registry().portals
    assert [p.code for p in select(portals, codes="152223, 653024")] == ["152223", "653024"]
    inner_mongolia = select(portals, province="内蒙古")
    assert len(inner_mongolia) > 90 and {p.province for p in inner_mongolia} == {"内蒙古自治区"}
    assert {p.code[:2] for p in select(portals, province="32")} == {"32"}
    assert select(portals, codes="152223", province="江苏省") == []
    lianyungang = select(portals, city="连云港")
    assert {"320703", "320706"} <= {p.code for p in lianyungang}
    assert {p.code for p in select(portals, city="3207")} == {p.code for p in lianyungang}
    assert {p.city for p in lianyungang} == {"连云港市"}


def test_a_sample_is_reproducible_and_drawn_from_the_selection():
    portals = load_registry().portals
    first = select(portals, sample=25)
    assert len(first) == 25 and first == select(portals, sample="25")
    assert [p.code for p in first] != [p.code for p in portals[:25]]  # drawn, not the first rows
    fujian = select(portals, province="福建", sample=5)
    assert len(fujian) == 5 and {p.province for p in fujian} == {"福建省"}
    assert len(select(portals, codes="152223", sample=5)) == 1
    with pytest.raises(ValueError, match="positive"):
        select(portals, sample=0)


def test_written_registry_reads_back_the_same():
    portals = load_registry().portals
    out = io.StringIO()
    assert write_registry(portals, out) == len(portals)
    assert parse_registry(out.getvalue()).portals == portals


def test_bundled_registry_is_the_national_one_with_the_curated_rows_on_top():
    registry = load_registry()
    assert registry.problems == []
    assert len(registry.portals) >= 2800
    assert len({p.code for p in registry.portals}) == len(registry.portals)
    assert len({p.province for p in registry.portals}) == 31
    assert all(p.extra.get("source") for p in registry.portals)
    by_code = registry.by_code()
    curated = read_registry_file(CURATED_REGISTRY).portals
    national = read_registry_file(NATIONAL_REGISTRY).by_code()
    for portal in curated:  # a curated row keeps its own name, URL and source
        assert by_code[portal.code].as_row() == portal.as_row()
        assert national[portal.code].extra["source"] != portal.extra["source"]
    names = {p.name for p in registry.portals}
    for county in ("扎赉特旗人民政府", "工农区人民政府", "海原县人民政府", "乌恰县人民政府"):
        assert county in names
    assert Counter(p.url.split(":", 1)[0] for p in registry.portals)["https"] > 900


def test_bundled_codes_are_the_division_codes_of_their_names():
    names = {code: division.name for code, division in divisions.all_divisions().items()}
    for path in (CURATED_REGISTRY, NATIONAL_REGISTRY):
        for portal in read_registry_file(path).portals:
            division = names.get(portal.code)
            assert division, portal.code
            bare = divisions.bare_name(portal.name)
            assert bare.startswith(division) or division.startswith(bare) or division.rstrip("县区") in portal.name, (
                portal.code, division, portal.name)
            assert names[portal.code[:2] + "0000"] == portal.province


HOSTILE = (HEADER
           + "110101,东城区,county,北京市,北京市,http://169.254.169.254/,metadata\n"
           + "110102,西城区,county,北京市,北京市,http://127.0.0.1:22/,loopback\n"
           + "110105,朝阳区,county,北京市,北京市,http://10.0.0.5/,private\n"
           + "110106,丰台区,county,北京市,北京市,http://localhost:8080/,localhost\n"
           + "110107,石景山区,county,北京市,北京市,http://[::ffff:192.168.1.1]/,mapped\n"
           + "110108,海淀区,county,北京市,北京市,http://www.bjhd.gov.cn/," + "y" * (10 * 1024 * 1024) + "\n"
           + "110109,门头沟区,county,北京市,北京市,http://www.bjmtg.gov.cn/,BAD\n"
           + "110111,房山区,county,北京市,北京市,http://www.bjfsh.gov.cn/,good\n"
           + "110112,通州区,county,北京市,北京市,HTTPS://www.BJFSH.gov.cn,same portal\n"
           + "110113,顺义区,county,北京市,北京市,http://www.bjshy.gov.cn:8o/,port\n"
           + "999999,无此县,county,北京市,北京市,http://www.nowhere.gov.cn/,unknown code\n"
           ).encode("utf-8").replace(b",BAD", b",\xff\xfe")


def test_internal_hosts_huge_fields_and_bad_bytes_are_errors_of_their_line():
    registry = parse_registry(HOSTILE)
    assert [p.code for p in registry.portals] == ["110111", "999999"]
    reasons = {problem.line: problem.reason for problem in registry.problems}
    assert "link-local" in reasons[2] and "loopback" in reasons[3] and "private" in reasons[4]
    assert "localhost" in reasons[5] and "private" in reasons[6]
    assert "longer than" in reasons[7] and "not UTF-8" in reasons[8]
    assert "also the portal of 110111" in reasons[10] and "port" in reasons[11]
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 10, 11]


def test_a_missing_or_headless_registry_is_one_clear_error(tmp_path):
    with pytest.raises(RegistryError, match="No such file"):
        load_registry(tmp_path / "missing.csv")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RegistryError, match="lacks the column"):
        load_registry(tmp_path / "binary.csv")


def test_ogi_registry_check_names_every_bad_line_and_exits_1(tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_bytes(HOSTILE)
    result = CliRunner().invoke(ogi, ["registry", "check", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    bad_lines = sorted(int(line.split("line ")[1].split(":")[0]) for line in result.stdout.splitlines())
    assert bad_lines == [2, 3, 4, 5, 6, 7, 8, 10, 11, 12]
    assert "no division" in result.stdout


def test_ogi_registry_check_passes_the_bundled_registry():
    result = CliRunner().invoke(ogi, ["registry", "check"])
    assert result.exit_code == 0, result.output


def test_ogi_registry_list_prints_the_national_registry():
    result = CliRunner().invoke(ogi, ["registry", "list", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) >= 2800 and len({row["code"] for row in rows}) == len(rows)
    assert len({row["province"] for row in rows}) == 31 and {row["level"] for row in rows} == {"county"}
    as_json = CliRunner().invoke(ogi, ["registry", "list", "--format", "json", "--province", "福建", "--sample", "3"])
    chosen = json.loads(as_json.stdout)
    assert len(chosen) == 3 and {row["province"] for row in chosen} == {"福建省"}
    assert [row["code"] for row in chosen] == [p.code for p in select(load_registry().portals, province="福建", sample=3)]


def test_ogi_registry_stats_counts_by_province_and_level():
    result = CliRunner().invoke(ogi, ["registry", "stats"])
    assert result.exit_code == 0, result.output
    assert "in 31 provinces" in result.stdout and "county" in result.stdout
    assert "四川省" in result.stdout


def test_a_walk_is_diffed_against_the_bundled_registry_by_code():
    bundled = parse_registry(HEADER + "\n".join([
        "320703,连云区人民政府,county,江苏省,连云港市,http://www.lianyun.gov.cn/,a",
        "320706,海州区人民政府,county,江苏省,连云港市,http://www.lyghz.gov.cn/,b",
        "320707,赣榆区人民政府,county,江苏省,连云港市,http://www.ganyu.gov.cn/,c",
        "350128,平潭综合实验区,county,福建省,福州市,https://www.pingtan.gov.cn/,d",
    ]) + "\n").portals
    found = [
        {"code": "320703", "name": "连云区人民政府", "level": "county", "province": "江苏省", "url": "https://www.lianyun.gov.cn/"},
        {"code": "320706", "name": "海州区人民政府", "level": "county", "province": "江苏省", "url": "http://www.lyghz.gov.cn"},
        {"code": "320722", "name": "东海县人民政府", "level": "county", "province": "江苏省", "url": "http://www.jsdh.gov.cn/"},
    ]
    changes = {(c["change"], c["code"]): c for c in registry_diff(found, bundled)}
    assert sorted(changes) == [("changed_url", "320703"), ("gone", "320707"), ("new", "320722")]
    assert changes[("changed_url", "320703")]["old_url"] == "http://www.lianyun.gov.cn/"  # http -> https counts
