"""Random annual reports on government information disclosure, as data (what a report says).

`generate_report` draws one report deterministically from an `random.Random`; `render.py`
prints it. Keys follow report-format.md; this package never imports `parsers`, so the key
lists below are written out here on purpose.

Check names recorded in `ReportSpec.fails_checks` (report-format.md checks 1–4):
``t3.balance:<column>``, ``t3.row_sum:<row>``, ``t3.handled_sum:<column>``,
``t4.block_sum:<block>``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

Number = int | float

T2_KEYS_2021 = (
    "t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force",
    "t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force",
    "t2.licensing.decisions", "t2.punishment.decisions", "t2.coercion.decisions",
    "t2.fees.amount",
)
T2_KEYS_2019 = (
    "t2.rules.made", "t2.rules.published", "t2.rules.total_published",
    "t2.normative.made", "t2.normative.published", "t2.normative.total_published",
    "t2.licensing.prev_items", "t2.licensing.change", "t2.licensing.decisions",
    "t2.other_services.prev_items", "t2.other_services.change", "t2.other_services.decisions",
    "t2.punishment.prev_items", "t2.punishment.change", "t2.punishment.decisions",
    "t2.coercion.prev_items", "t2.coercion.change", "t2.coercion.decisions",
    "t2.fees.prev_items", "t2.fees.change",
    "t2.procurement.items", "t2.procurement.amount",
)
T3_COLUMNS = ("natural_person", "commercial", "research", "public_interest",
              "legal_services", "other_org", "total")
T3_APPLICANT_COLUMNS = T3_COLUMNS[:-1]
T3_OUTCOME_ROWS = (
    "granted", "partly_granted",
    "denied.state_secret", "denied.law_prohibited", "denied.security_stability",
    "denied.third_party", "denied.internal_affairs", "denied.process_info",
    "denied.enforcement_file", "denied.query_matter",
    "unavailable.not_held", "unavailable.needs_creation", "unavailable.unclear",
    "not_processed.petition", "not_processed.repeated", "not_processed.publication",
    "not_processed.excessive", "not_processed.confirmation",
)
OTHER_HANDLING_PARTS = ("other_handling.no_correction", "other_handling.unpaid_fee",
                        "other_handling.other")
T4_BLOCKS = ("review", "suit_direct", "suit_after_review")
T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
SECTION_KEYS = ("overview", "active_disclosure", "applications", "review_litigation",
                "problems", "other_matters")
ORGAN_LEVELS = ("county", "department", "township")


def t3_rows(other_handling_rows: int) -> tuple[str, ...]:
    """Table 3 row keys in printed order for a report with 1 or 3 其他处理 rows."""
    other = ("other_handling",) if other_handling_rows == 1 else OTHER_HANDLING_PARTS
    return ("new", "carried_in", *T3_OUTCOME_ROWS, *other, "handled_total", "carried_out")


def table_keys(table_format: str, other_handling_rows: int) -> list[str]:
    """Every key a report of this shape prints, in reading order."""
    t2 = T2_KEYS_2021 if table_format == "2021" else T2_KEYS_2019
    t3 = [f"t3.{row}.{col}" for row in t3_rows(other_handling_rows) for col in T3_COLUMNS]
    t4 = [f"t4.{block}.{col}" for block in T4_BLOCKS for col in T4_COLUMNS]
    return [*t2, *t3, *t4]


@dataclass
class ReportSpec:
    organ: str
    organ_level: str
    report_year: int
    table_format: str
    other_handling_rows: int
    values: dict[str, Number | None]
    omitted: list[str]
    title: str | None
    published_on: str
    signed_on: str | None
    sections: dict[str, str]
    traditional: bool
    fails_checks: list[str]
    inferable: list[str] = field(default_factory=list)
    # What the organ counted before a cell was left blank or dropped: the truth behind
    # `inferable` keys. The document never prints these.
    withheld: dict[str, Number] = field(default_factory=dict)

    def expected_values(self, keeps_grid: bool = False) -> dict[str, Number | None]:
        """What a correct parser reports: printed values, null for blanks, inferable filled in.

        `keeps_grid`: the document is a Word or PDF table, where a left-out cell stays an
        empty cell in its place; elsewhere the row is printed short.
        """
        expected = dict(self.values)
        for key in self.omitted:
            expected.setdefault(key, None)
            if key.startswith("t3.") and key not in self.inferable and not keeps_grid:
                # A table-3 row printed one cell short gives its numbers no positions:
                # no reader can tell which column each printed number belongs to.
                row = key.rsplit(".", 1)[0]
                for column in T3_COLUMNS:
                    expected[f"{row}.{column}"] = None
        for key in self.inferable:
            expected[key] = self.withheld[key]
        return expected

    def truth(self, keeps_grid: bool = False) -> dict:
        """What a correct parse of this report says, in the field names of report-schema.md."""
        expected = self.expected_values(keeps_grid)
        return {
            "title": self.title, "organ": self.organ, "organ_level": self.organ_level,
            "report_year": self.report_year, "published_on": self.published_on,
            "signed_on": self.signed_on, "table_format": self.table_format,
            "values": expected, "inferred": sorted(self.inferable),
            # what the printed numbers show: a check with a term no reader can place is not failed
            "failed_checks": sorted(failed_checks(expected, self.table_format, self.other_handling_rows)),
        }


def check_equations(table_format: str, other_handling_rows: int) -> list[tuple[str, list[str], list[str]]]:
    """Checks 1–4 as (name, left keys, right keys): sum(left) must equal sum(right)."""
    rows = t3_rows(other_handling_rows)
    handled_parts = [r for r in rows if r not in ("new", "carried_in", "handled_total", "carried_out")]
    equations = []
    for col in T3_COLUMNS:
        equations.append((f"t3.balance:{col}", [f"t3.new.{col}", f"t3.carried_in.{col}"],
                          [f"t3.handled_total.{col}", f"t3.carried_out.{col}"]))
    for row in rows:
        equations.append((f"t3.row_sum:{row}", [f"t3.{row}.total"],
                          [f"t3.{row}.{col}" for col in T3_APPLICANT_COLUMNS]))
    for col in T3_COLUMNS:
        equations.append((f"t3.handled_sum:{col}", [f"t3.handled_total.{col}"],
                          [f"t3.{row}.{col}" for row in handled_parts]))
    for block in T4_BLOCKS:
        equations.append((f"t4.block_sum:{block}", [f"t4.{block}.total"],
                          [f"t4.{block}.{col}" for col in T4_COLUMNS[:-1]]))
    return equations


def failed_checks(values: dict[str, Number | None], table_format: str, other_handling_rows: int) -> list[str]:
    """Names of the checks the given numbers fail; a check with a blank term is not failed."""
    failed = []
    for name, left, right in check_equations(table_format, other_handling_rows):
        terms = [values.get(k) for k in left + right]
        if any(t is None for t in terms):
            continue
        if sum(values[k] for k in left) != sum(values[k] for k in right):
            failed.append(name)
    return failed


def _small_count(rng: random.Random, scale: float, zero_share: float) -> int:
    if rng.random() < zero_share:
        return 0
    return max(0, int(rng.expovariate(1 / scale)))


def _spread(rng: random.Random, total: int, slots: list[str], weights: list[float]) -> dict[str, int]:
    counts = dict.fromkeys(slots, 0)
    for _ in range(total):
        counts[rng.choices(slots, weights)[0]] += 1
    return counts


def _table3(rng: random.Random, level: str, other_handling_rows: int) -> dict[str, int]:
    scale = {"county": 30, "department": 6, "township": 2}[level]
    quiet = rng.random() < {"county": 0.1, "department": 0.4, "township": 0.65}[level]
    rows = t3_rows(other_handling_rows)
    outcome_rows = [r for r in rows if r not in ("new", "carried_in", "handled_total", "carried_out")]
    weights = [6 if r == "granted" else 2 if r in ("partly_granted", "unavailable.not_held")
               else 1 if r.startswith(("other_handling", "not_processed.petition", "not_processed.repeated"))
               else 0.3 for r in outcome_rows]
    values: dict[str, int] = {}
    for col in T3_APPLICANT_COLUMNS:
        col_scale = scale if col == "natural_person" else scale / 6
        new = 0 if quiet else _small_count(rng, col_scale, 0.3 if col == "natural_person" else 0.8)
        carried_in = 0 if quiet else _small_count(rng, max(col_scale / 8, 0.5), 0.8)
        carried_out = rng.randint(0, min(new + carried_in, 3)) if new + carried_in and rng.random() < 0.25 else 0
        handled = new + carried_in - carried_out
        spread = _spread(rng, handled, outcome_rows, weights)
        values[f"t3.new.{col}"] = new
        values[f"t3.carried_in.{col}"] = carried_in
        values[f"t3.carried_out.{col}"] = carried_out
        values[f"t3.handled_total.{col}"] = handled
        for row in outcome_rows:
            values[f"t3.{row}.{col}"] = spread[row]
    for row in rows:
        values[f"t3.{row}.total"] = sum(values[f"t3.{row}.{col}"] for col in T3_APPLICANT_COLUMNS)
    return values


def _table4(rng: random.Random, level: str) -> dict[str, int]:
    scale = {"county": 3, "department": 1, "township": 0.5}[level]
    values = {}
    for block in T4_BLOCKS:
        parts = {col: _small_count(rng, scale, 0.75) for col in T4_COLUMNS[:-1]}
        for col, n in parts.items():
            values[f"t4.{block}.{col}"] = n
        values[f"t4.{block}.total"] = sum(parts.values())
    return values


def _fee_amount(rng: random.Random, level: str) -> Number:
    if rng.random() < (0.7 if level == "township" else 0.35):
        return 0
    return round(rng.uniform(0.05, 400 if level == "county" else 40), rng.choice((2, 2, 4, 6)))


def _table2(rng: random.Random, level: str, table_format: str) -> dict[str, Number]:
    busy = {"county": 1.0, "department": 0.5, "township": 0.15}[level]
    count = lambda scale, zero: _small_count(rng, max(scale * busy, 0.5), zero)  # noqa: E731
    if table_format == "2021":
        values: dict[str, Number] = {}
        for item, scale in (("rules", 1), ("normative", 8)):
            issued, repealed = count(scale, 0.6), count(scale / 2, 0.8)
            values[f"t2.{item}.issued"] = issued
            values[f"t2.{item}.repealed"] = repealed
            values[f"t2.{item}.in_force"] = issued + count(scale * 5, 0.4)
        if level == "township":
            values["t2.rules.issued"] = values["t2.rules.repealed"] = values["t2.rules.in_force"] = 0
        values["t2.licensing.decisions"] = count(800, 0.3)
        values["t2.punishment.decisions"] = count(300, 0.4)
        values["t2.coercion.decisions"] = count(20, 0.7)
        values["t2.fees.amount"] = _fee_amount(rng, level)
        return values
    values = {}
    for item, scale in (("rules", 1), ("normative", 8)):
        made = count(scale, 0.6)
        values[f"t2.{item}.made"] = made
        values[f"t2.{item}.published"] = made if rng.random() < 0.8 else count(scale, 0.5)
        values[f"t2.{item}.total_published"] = made + count(scale * 5, 0.4)
    for item, scale in (("licensing", 60), ("other_services", 30), ("punishment", 200), ("coercion", 10)):
        values[f"t2.{item}.prev_items"] = count(scale, 0.4)
        values[f"t2.{item}.change"] = rng.choice((0, 0, 0, 1, 2, -1, -3, 5))
        values[f"t2.{item}.decisions"] = count(scale * 5, 0.4)
    values["t2.fees.prev_items"] = count(5, 0.6)
    values["t2.fees.change"] = rng.choice((0, 0, 0, -1, 1))
    values["t2.procurement.items"] = count(6, 0.6)
    values["t2.procurement.amount"] = (0 if values["t2.procurement.items"] == 0
                                       else round(rng.uniform(1, 900), rng.choice((0, 2, 4))))
    return values


def _break_one_check(rng: random.Random, values: dict[str, Number], other_handling_rows: int) -> None:
    """Make the printed numbers disagree the way real reports do (a typo in one cell)."""
    rows = t3_rows(other_handling_rows)
    choice = rng.choice(("total_cell", "carried_out", "outcome", "t4_total"))
    if choice == "total_cell":
        key = f"t3.{rng.choice(rows)}.total"
    elif choice == "carried_out":
        key = f"t3.carried_out.{rng.choice(T3_COLUMNS)}"
    elif choice == "outcome":
        key = f"t3.{rng.choice(rows[2:-2])}.{rng.choice(T3_COLUMNS)}"
    else:
        key = f"t4.{rng.choice(T4_BLOCKS)}.total"
    values[key] = values[key] + rng.choice((1, 2, 10)) if values[key] < 2 or rng.random() < 0.5 else values[key] - 1


def _leave_cells_out(rng: random.Random, spec_values: dict[str, Number | None], table_format: str,
                     other_handling_rows: int) -> tuple[list[str], dict[str, Number]]:
    """Blank some cells (None) or drop them (omitted); return (omitted keys, withheld truths)."""
    omitted: list[str] = []
    withheld: dict[str, Number] = {}
    style = rng.choices(("none", "blank_t3", "blank_t2", "omit_zero_row", "omit_t2_tail", "template_only"),
                        (70, 9, 8, 8, 5, 1))[0]
    if style == "template_only":  # the blank template published with no numbers at all
        for key, value in list(spec_values.items()):
            withheld[key] = value
            spec_values[key] = None
    elif style == "blank_t3":
        row = rng.choice(t3_rows(other_handling_rows))
        for col in rng.sample(T3_COLUMNS, rng.choice((1, 1, 2))):
            key = f"t3.{row}.{col}"
            withheld[key] = spec_values[key]
            spec_values[key] = None
    elif style == "blank_t2":
        pool = [k for k in (T2_KEYS_2021 if table_format == "2021" else T2_KEYS_2019)]
        for key in rng.sample(pool, rng.choice((1, 2, 3))):
            withheld[key] = spec_values[key]
            spec_values[key] = None
    elif style == "omit_zero_row":
        zero_rows = [r for r in t3_rows(other_handling_rows)
                     if all(spec_values[f"t3.{r}.{c}"] == 0 for c in T3_COLUMNS)]
        for row in rng.sample(zero_rows, min(len(zero_rows), rng.choice((1, 2, 3)))):
            key = f"t3.{row}.{rng.choice(T3_COLUMNS)}"
            omitted.append(key)
            withheld[key] = spec_values.pop(key)
    elif style == "omit_t2_tail":
        keys = (["t2.rules.in_force", "t2.normative.in_force"] if table_format == "2021"
                else [rng.choice(("t2.other_services.decisions", "t2.licensing.decisions"))])
        for key in keys:
            omitted.append(key)
            withheld[key] = spec_values.pop(key)
    return omitted, withheld


def inferable_keys(spec_values: dict[str, Number | None], omitted: list[str], table_format: str,
                   other_handling_rows: int, withheld: dict[str, Number]) -> list[str]:
    """Unprinted cells that one check determines: all its other terms printed and consistent.

    An omitted cell counts only when every printed value of its row is 0, because then
    the position of the missing cell does not matter (as in seed 002).
    """
    missing = [k for k, v in spec_values.items() if v is None] + list(omitted)
    known = {k: v for k, v in spec_values.items() if v is not None}
    found = []
    for key in missing:
        if key in omitted:
            row = key.rsplit(".", 1)[0]
            if not key.startswith("t3.") or any(known.get(f"{row}.{c}", 0) != 0 for c in T3_COLUMNS):
                continue
        for _name, left, right in check_equations(table_format, other_handling_rows):
            terms = left + right
            if key not in terms or any(t != key and t not in known for t in terms):
                continue
            side, other = (left, right) if key in left else (right, left)
            solved = sum(known[t] for t in other) - sum(known[t] for t in side if t != key)
            if solved == withheld[key]:
                found.append(key)
                break
    return found


_OVERVIEW_OPENINGS = (
    "{y}年，{n}坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央、国务院关于政务公开工作的决策部署，严格执行《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作。",
    "{y}年，在上级党委、政府的正确领导下，{n}认真贯彻落实《中华人民共和国政府信息公开条例》，围绕中心工作，不断拓展公开广度和深度，各项工作有序开展。",
    "按照上级关于政务公开工作的整体部署，{y}年{n}结合工作实际，规范政务公开内容，突出公开重点，提高公开水平，现将有关情况报告如下：",
)
_OVERVIEW_PARTS = (
    ("主动公开", "全年通过政府门户网站主动公开政府信息{a}条，通过政务新媒体发布信息{b}条，涉及乡村振兴、社会保障、财政资金等方面。"),
    ("依申请公开", "全年共收到政府信息公开申请{n}件，均在法定期限内予以答复，未产生信息处理费。"),
    ("政府信息管理", "严格落实信息发布“三审三校”制度和保密审查制度，做到先审查、后公开，一事一审、全面审查。"),
    ("平台建设", "充分发挥政府网站第一平台作用，及时更新政务公开专栏，加强政务新媒体日常运维管理。"),
    ("监督保障", "将政务公开工作纳入年度绩效考核，主动接受社会监督，全年未发生因政府信息公开工作引发的责任追究情况。"),
)
_PROBLEMS = (
    "{y}年我单位政府信息公开工作虽然取得了一定成效，但仍存在一些不足：一是公开内容不够全面，部分信息更新不够及时；二是工作人员业务能力有待提高。下一步，将加强业务培训，完善工作机制，进一步提升政务公开质量。",
    "存在的主要问题：政策解读形式较为单一，公开信息的规范性有待加强。改进措施：一是丰富解读形式，二是加强审核把关，三是强化督促检查，推动政府信息公开工作上台阶。",
    "一是对政务公开工作重视程度仍需加强；二是公开栏目信息更新不够及时；三是公开形式较为单一。下一步，我们将对照上级要求，逐项抓好整改落实。",
)
_OTHER_MATTERS = (
    "无。", "本年度无其他需要报告的事项。",
    "本机关{y}年未收取信息处理费。",
    "根据《政府信息公开信息处理费管理办法》，本年度未发生收取信息处理费的情况。无其他需要报告的事项。",
)
_ENUMERATORS = ("（{}）", "({})", "（{}）")
_CHINESE_NUMERALS = "一二三四五六七八九"


def report_sections(rng: random.Random, name: str, organ_level: str, year: int,
                    values: dict[str, Number | None]) -> dict[str, str]:
    """Six sections' prose; the overview quotes the report's own application count."""
    applications = values.get("t3.new.total")
    enumerator = rng.choice(_ENUMERATORS)
    parts = []
    for index, (heading, text) in enumerate(_OVERVIEW_PARTS):
        body = text.format(a=rng.randint(8, 900), b=rng.randint(0, 3000), n=applications)
        if applications == 0 and heading == "依申请公开":
            body = "本年度未收到政府信息公开申请，未产生信息处理费。"
        parts.append(f"{enumerator.format(_CHINESE_NUMERALS[index])}{heading}情况\n{body}")
    overview = rng.choice(_OVERVIEW_OPENINGS).format(y=year, n=name) + "\n" + "\n".join(parts)
    return {
        "overview": overview,
        "active_disclosure": "",
        "applications": "",
        "review_litigation": "",
        "problems": rng.choice(_PROBLEMS).format(y=year),
        "other_matters": rng.choice(_OTHER_MATTERS).format(y=year),
    }


# Syllable pools for realistic place names (two-character names dominate).
_PLACE_SYLLABLES = ("安", "宝", "昌", "长", "城", "崇", "大", "丹", "德", "东", "丰", "凤", "阜", "高", "古",
                    "广", "海", "和", "河", "红", "洪", "华", "怀", "黄", "吉", "嘉", "江", "金", "靖", "开",
                    "康", "乐", "黎", "临", "龙", "隆", "鹿", "罗", "马", "梅", "蒙", "明", "南", "宁", "平",
                    "普", "青", "庆", "荣", "瑞", "沙", "山", "上", "石", "寿", "顺", "泰", "桃", "天", "通",
                    "万", "温", "武", "西", "仙", "祥", "新", "兴", "阳", "永", "玉", "元", "云", "泽", "镇")
_DEPARTMENTS = ("财政局", "教育局", "自然资源局", "住房和城乡建设局", "农业农村局", "卫生健康局",
                "市场监督管理局", "人力资源和社会保障局", "民政局", "交通运输局", "水利局", "应急管理局",
                "生态环境分局", "统计局", "司法局", "医疗保障局")


def place_name(rng: random.Random) -> str:
    return "".join(rng.sample(_PLACE_SYLLABLES, rng.choice((2, 2, 2, 3))))


def organ_name(rng: random.Random, level: str, county: str | None = None) -> str:
    """A realistic organ name; `county` like "泰宁县" places departments and townships in it."""
    county = county or place_name(rng) + rng.choice(("县", "县", "县", "区", "旗", "市"))
    if level == "county":
        return county + rng.choice(("人民政府", "人民政府", "人民政府办公室"))
    if level == "department":
        return county + rng.choice(_DEPARTMENTS)
    unit = rng.choices(("乡人民政府", "镇人民政府", "街道办事处", "苏木人民政府"), (40, 45, 12, 3))[0]
    return county + place_name(rng) + unit


def _dates(rng: random.Random, level: str, report_year: int) -> tuple[str, str | None]:
    deadline = dt.date(report_year + 1, 3 if level == "county" else 1, 31)
    if rng.random() < 0.1:  # late publishers
        published = deadline + dt.timedelta(days=rng.randint(1, 200))
    else:
        published = deadline - dt.timedelta(days=rng.randint(0, 40 if level == "county" else 25))
    signed = published - dt.timedelta(days=rng.randint(0, 10)) if rng.random() < 0.6 else None
    return published.isoformat(), signed.isoformat() if signed else None


def short_name(organ: str) -> str:
    for suffix in ("人民政府办公室", "人民政府", "街道办事处"):
        if organ.endswith(suffix):
            return organ[: -len(suffix)]
    return organ


def _title(rng: random.Random, organ: str, year: int) -> str | None:
    if rng.random() < 0.08:
        return None
    pattern = rng.choices((
        "{o}{y}年政府信息公开工作年度报告", "{o}{y}年度政府信息公开工作年度报告",
        "{o}{y}政府信息公开工作年度报告", "{o}{y}年政府信息公开工作年报",
        "{o}关于{y}年度政府信息公开工作的年度报告", "{y}年{o}政府信息公开工作年度报告",
        "{o} {y} 年政府信息公开工作年度报告",
    ), (40, 15, 6, 10, 6, 13, 10))[0]
    return pattern.format(o=organ, y=year)


def generate_report(rng: random.Random, *, organ: str, organ_level: str, report_year: int,
                    table_format: str | None = None, other_handling_rows: int | None = None,
                    traditional: bool | None = None, fail_check: bool | None = None,
                    leave_cells_out: bool | None = None) -> ReportSpec:
    """Draw one report; every optional argument left None is drawn from realistic shares."""
    if organ_level not in ORGAN_LEVELS:
        raise ValueError(f"organ_level must be one of {ORGAN_LEVELS}, not {organ_level!r}")
    if table_format is None:
        table_format = "2019" if report_year <= 2020 or rng.random() < 0.1 else "2021"
    if table_format not in ("2019", "2021"):
        raise ValueError(f"table_format must be '2019' or '2021', not {table_format!r}")
    if table_format == "2019":
        other_handling_rows = 1
    elif other_handling_rows is None:
        other_handling_rows = rng.choice((1, 3, 3))
    values: dict[str, Number | None] = {
        **_table2(rng, organ_level, table_format),
        **_table3(rng, organ_level, other_handling_rows),
        **_table4(rng, organ_level),
    }
    # prose quotes the numbers as counted, before a typo or a blank cell reaches the table
    sections = report_sections(rng, short_name(organ), organ_level, report_year, values)
    if fail_check if fail_check is not None else rng.random() < 0.1:
        _break_one_check(rng, values, other_handling_rows)
    omitted: list[str] = []
    withheld: dict[str, Number] = {}
    if leave_cells_out if leave_cells_out is not None else True:
        omitted, withheld = _leave_cells_out(rng, values, table_format, other_handling_rows)
    fails = failed_checks(values, table_format, other_handling_rows)
    published_on, signed_on = _dates(rng, organ_level, report_year)
    title = _title(rng, organ, report_year)
    if title is None and signed_on is None:  # an untitled page names organ and date in its signature
        signed_on = published_on
    inferable = [] if fails else inferable_keys(values, omitted, table_format, other_handling_rows, withheld)
    return ReportSpec(
        organ=organ, organ_level=organ_level, report_year=report_year, table_format=table_format,
        other_handling_rows=other_handling_rows, values=values, omitted=omitted,
        title=title, published_on=published_on, signed_on=signed_on,
        sections=sections,
        traditional=traditional if traditional is not None else rng.random() < 0.05,
        fails_checks=fails, inferable=inferable, withheld=withheld,
    )
