"""Pages that look like annual reports to a naive classifier but are not reports.

Each kind imitates a page family found next to real reports: titles say 年度报告 or
政府信息公开, bodies quote 主动公开 and numbers, some even carry a small table.
"""

from __future__ import annotations

import html
import random

LOOKALIKE_KINDS = ("compilation_notice", "disclosure_guide", "work_plan", "report_list", "spam_mirror")


def _county_of(organ: str) -> str:
    for marker in ("县", "区", "旗", "市"):
        if marker in organ:
            return organ[: organ.index(marker) + 1]
    return organ


def _paragraphs(texts: list[str]) -> str:
    return "\n".join(f'<p style="text-indent: 2em;">{html.escape(text, quote=False)}</p>' for text in texts)


def _compilation_notice(organ: str, year: int, rng: random.Random) -> tuple[str, str]:
    county = _county_of(organ)
    title = rng.choice((
        f"关于做好{year}年政府信息公开工作年度报告编制发布工作的通知",
        f"{county}人民政府办公室关于做好{year}年度政府信息公开工作年度报告编制和发布工作的通知",
        f"关于报送{year}年政府信息公开工作年度报告的通知",
    ))
    deadline_month = rng.choice((1, 1, 2))
    body = _paragraphs([
        "各乡（镇）人民政府、街道办事处，县政府各部门：",
        f"根据《中华人民共和国政府信息公开条例》和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求，现就做好{year}年政府信息公开工作年度报告编制发布工作通知如下：",
        f"一、各单位要按照年度报告格式，全面、准确统计{year}年1月1日至12月31日主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况。",
        f"二、年度报告须于{year + 1}年{deadline_month}月31日前在政府信息公开专栏“政府信息公开年报”栏目发布，并将电子版报送县政府办公室政务公开股。",
        "三、年度报告中表格数据应当符合勾稽关系，即第一项加第二项之和等于第三项加第四项之和，不得漏项、错项。",
        f"联系人：{rng.choice(('王', '李', '张', '刘', '陈'))}{rng.choice(('丽', '伟', '强', '敏', '静'))}，联系电话：0{rng.randint(300, 999)}-{rng.randint(2000000, 8999999)}。",
        "附件：政府信息公开工作年度报告格式",
        f"{county}人民政府办公室",
        f"{year}年12月{rng.randint(10, 28)}日",
    ])
    return title, body


def _disclosure_guide(organ: str, year: int, rng: random.Random) -> tuple[str, str]:
    title = rng.choice((f"{organ}政府信息公开指南", f"{organ}政府信息公开指南（{year}年修订）"))
    body = _paragraphs([
        "为了更好地提供政府信息公开服务，依据《中华人民共和国政府信息公开条例》，编制本指南。",
        "一、主动公开。本机关主动公开的政府信息包括机构职能、规范性文件、规划计划、财政预决算、行政许可、行政处罚等。主动公开的政府信息自形成或者变更之日起20个工作日内予以公开。",
        "二、依申请公开。公民、法人或者其他组织可以向本机关申请获取相关政府信息。本机关收到申请后，能够当场答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内予以答复。",
        "三、政府信息公开工作年度报告。本机关每年1月31日前公布上一年度政府信息公开工作年度报告，报告内容包括主动公开政府信息情况、收到和处理政府信息公开申请情况等。",
        f"四、受理机构：{organ}党政综合办公室，办公时间：工作日上午9:00—12:00，下午14:30—17:30，联系电话：0{rng.randint(300, 999)}-{rng.randint(2000000, 8999999)}。",
    ])
    return title, body


def _work_plan(organ: str, year: int, rng: random.Random) -> tuple[str, str]:
    county = _county_of(organ)
    plan_year = year + 1
    title = rng.choice((f"{plan_year}年政务公开工作要点", f"{county}{plan_year}年政务公开工作要点",
                        f"关于印发《{county}{plan_year}年政务公开工作要点》的通知"))
    items = [
        f"（{n}）{text}" for n, text in zip("一二三四五六", (
            "深化重点领域信息公开，做好财政预决算、重大建设项目、公共资源配置等信息主动公开。",
            "规范依申请公开办理，严格按照法定时限答复，依法依规做好政府信息公开申请办理工作。",
            f"高质量编制发布政府信息公开工作年度报告，{plan_year}年1月31日前完成乡镇和部门年度报告发布。",
            "加强政策解读回应，重要政策文件与解读材料同步组织、同步审签、同步部署。",
            "加强政府网站和政务新媒体管理，定期开展监测检查，全年通报不少于4次。",
            "强化监督考核，将政务公开工作纳入年度绩效考核，分值不低于4%。",
        ))
    ]
    body = _paragraphs([f"为深入贯彻落实《中华人民共和国政府信息公开条例》，进一步做好{plan_year}年政务公开工作，结合本县实际，制定本要点。", *items])
    return title, body


def _report_list(organ: str, year: int, rng: random.Random) -> tuple[str, str]:
    county = _county_of(organ)
    title = rng.choice((f"{year}年度各乡镇政府信息公开工作年度报告汇总",
                        f"{county}{year}年政府信息公开工作年度报告汇总",
                        f"{year}年度政府信息公开工作年度报告（乡镇）"))
    towns = [f"{county}{rng.choice(('东', '西', '南', '北', '新', '上', '下'))}{rng.choice(('山', '河', '坪', '沟', '岭', '湖'))}{rng.choice(('乡', '镇'))}" for _ in range(rng.randint(6, 14))]
    rows = "".join(
        f'<li><a href="./t{year + 1}01{index:02d}_{rng.randint(10000, 99999)}.html">{html.escape(town)}人民政府{year}年政府信息公开工作年度报告</a>'
        f"<span>{year + 1}-01-{rng.randint(5, 31):02d}</span></li>"
        for index, town in enumerate(towns, 1))
    body = _paragraphs([f"现将{county}各乡镇{year}年政府信息公开工作年度报告汇总公布如下，共{len(towns)}篇。"]) + \
        f'\n<ul class="report-list">{rows}</ul>'
    return title, body


_SPAM = ("澳门新葡京官方网站", "真人百家乐在线", "体育投注官网入口", "彩票平台注册送彩金", "棋牌游戏下载")


def _spam_mirror(organ: str, year: int, rng: random.Random) -> tuple[str, str]:
    """A hijacked copy of a report page: the title survives, the tables are gone, spam is injected."""
    spam = rng.choice(_SPAM)
    title = f"{organ}{year}年政府信息公开工作年度报告_{spam}"
    body = _paragraphs([
        f"{spam}（www.{rng.choice(('bet', 'vip', 'cp', 'yl'))}{rng.randint(100, 999)}.com）是亚洲最大的娱乐平台，注册即送88元。",
        f"根据《中华人民共和国政府信息公开条例》规定，本报告中所列数据统计期限为{year}年1月1日至12月31日。{year}年主动公开政府信息{rng.randint(10, 900)}条。",
        f"{spam}、{rng.choice(_SPAM)}、{rng.choice(_SPAM)}，官方认证，安全可靠，24小时在线客服。",
    ])
    return title, body


_RENDERERS = {
    "compilation_notice": _compilation_notice,
    "disclosure_guide": _disclosure_guide,
    "work_plan": _work_plan,
    "report_list": _report_list,
    "spam_mirror": _spam_mirror,
}


def render_lookalike(kind: str, organ: str, year: int, rng: random.Random) -> tuple[str, str]:
    """(title, body_html) of a page that is not an annual report; `year` is the report year it is about."""
    if kind not in _RENDERERS:
        raise ValueError(f"kind must be one of {LOOKALIKE_KINDS}, not {kind!r}")
    title, body = _RENDERERS[kind](organ, year, rng)
    return title, f'<div class="article-content">\n{body}\n</div>\n'
