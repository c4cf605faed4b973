"""Script-filled lists: a column prints its first page statically, the rest only through a JSON API.

Real TRS portals in "动静结合" mode, and the Vue/React front ends of newer 集约化 platforms,
print the first page of a column (say 10 of 40 entries) in the HTML and list the rest
only through a JSON list API that the page's own script calls. The API's URL is built in
the script from pieces, so a static crawler cannot guess it: only a browser finds the
older entries. Two styles:

- ``avalon``: an avalon ``ms-repeat="list"`` template, ``recordCount``/``prepage`` in the
  script, no ``createPageHTML`` and no ``index_1.html`` link;
- ``vue``: an ``id="app"`` root with the first page inside, filled further by ``fetch()``.

`Scripted` wraps a CMS family: URLs of columns, articles and attachments stay the family's;
only the list pages change.
"""

from __future__ import annotations

import json
import math
from html import escape as _e

from crawler.replica import cms

PAGE_SIZE = 5  # entries a page prints, and per API page: fewer than most report columns hold
STYLES = ("avalon", "vue")


def avalon_api(cid: int, page: int) -> str:
    return f"/trs-openapi/list/{cid}_{page}.json"


def vue_api(cid: int, page: int) -> str:
    return f"/api/content/list?catid={cid}&page={page}&size={PAGE_SIZE}"


class Scripted(cms.Family):
    def __init__(self, base: cms.Family, style: str):
        self.base, self.style = base, style
        self.name = base.name  # the CMS is the same; its list pages are script-filled

    def column_path(self, parent, slug, cid):
        return self.base.column_path(parent, slug, cid)

    def article_path(self, column, date, doc_id):
        return self.base.article_path(column, date, doc_id)

    def attachment_path(self, column, date, doc_id, ext):
        return self.base.attachment_path(column, date, doc_id, ext)

    def href(self, url, host, directory):
        return cms.Family.href(self, url, host, directory)  # site-relative: JSON urls and static items alike

    def list_pages(self, column, host, render):
        entries = column.entries
        pages_count = max(1, math.ceil(len(entries) / PAGE_SIZE))
        static = "".join(f'<li><a href="{_e(self.href(e.url, host, ""))}" target="_blank" title="{_e(e.title)}">'
                         f"{_e(e.title)}</a><span>{e.date}</span></li>" for e in entries[:PAGE_SIZE])
        if self.style == "avalon":
            body, script = self._avalon(column, static, len(entries))
        else:
            body, script = self._vue(column, static, len(entries))
        pages = {column.path: ("text/html", render(column, body, script, 0))}
        for number in range(2, pages_count + 1):
            chunk = entries[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
            items = [{"title": e.title, "url": self.href(e.url, host, ""), "time": e.date} for e in chunk]
            if self.style == "avalon":
                payload = {"recordCount": len(entries), "prepage": PAGE_SIZE, "page": number, "list": items}
                path = avalon_api(column.cid, number)
            else:
                payload = {"code": 200, "total": len(entries), "page": number,
                           "data": [{"title": i["title"], "linkUrl": i["url"], "publishTime": i["time"]} for i in items]}
                path = vue_api(column.cid, number)
            pages[path] = ("application/json", json.dumps(payload, ensure_ascii=False))
        return pages

    @staticmethod
    def _avalon(column, static: str, total: int) -> tuple[str, str]:
        body = (f'<div class="xxgk-list" ms-controller="xxgkList"><ul class="list">'
                f'<li ms-repeat="list"><a ms-attr-href="el.url" ms-attr-title="el.title">{{{{el.title}}}}</a>'
                f"<span>{{{{el.time}}}}</span></li>{static}</ul></div>")
        script = ("<script>\n"
                  f"var recordCount = {total};\nvar prepage = {PAGE_SIZE};\nvar columnId = \"{column.cid}\";\n"
                  "(function () {\n"
                  "  var box = document.querySelector('.xxgk-list ul.list');\n"
                  "  var api = '/' + ['trs', 'openapi'].join('-') + '/list/';\n"
                  "  for (var p = 2; p <= Math.ceil(recordCount / prepage); p++) {\n"
                  "    fetch(api + columnId + '_' + p + '.json').then(function (r) { return r.json(); })\n"
                  "      .then(function (d) { d.list.forEach(function (el) {\n"
                  "        var li = document.createElement('li');\n"
                  "        li.innerHTML = '<a href=\"' + el.url + '\">' + el.title + '</a><span>' + el.time + '</span>';\n"
                  "        box.appendChild(li); }); });\n"
                  "  }\n"
                  "})();\n</script>")
        return body, script

    @staticmethod
    def _vue(column, static: str, total: int) -> tuple[str, str]:
        body = (f'<div id="app" data-total="{total}"><ul class="news-list">{static}</ul>'
                f'<div class="pager" v-if="total > size">共 {{{{ total }}}} 条</div></div>')
        script = ("<script>\n"
                  f"const catid = {column.cid}, size = {PAGE_SIZE};\n"
                  "const root = document.getElementById('app'), list = root.querySelector('ul');\n"
                  "const total = Number(root.dataset.total);\n"
                  "const endpoint = ['', 'api', 'content', 'list'].join('/');\n"
                  "for (let page = 2; page <= Math.ceil(total / size); page++) {\n"
                  "  fetch(endpoint + '?' + new URLSearchParams({catid, page, size}))\n"
                  "    .then(r => r.json())\n"
                  "    .then(d => d.data.forEach(item => {\n"
                  "      const li = document.createElement('li');\n"
                  "      li.innerHTML = `<a href=\"${item.linkUrl}\">${item.title}</a><span>${item.publishTime}</span>`;\n"
                  "      list.appendChild(li);\n"
                  "    }));\n"
                  "}\n</script>")
        return body, script
