"""``ogi``: the command line. Each package contributes its own commands.

The commands live beside the code they drive (``parsers/cli.py`` over the parser,
``archive/cli.py`` over ``archive/db.py``, ``crawler/cli.py`` and
``crawler/replica/cli.py``); this module only gathers them under one group.
"""

from __future__ import annotations

import click

from archive import cli as archive_cli
from crawler import cli as crawler_cli
from crawler.replica import cli as replica_cli
from parsers import cli as parsers_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ogi-archive")
def main() -> None:
    """Crawl, archive and parse annual reports on government information disclosure."""


for module in (parsers_cli, archive_cli, crawler_cli, replica_cli):
    for command in module.COMMANDS:
        main.add_command(command)


if __name__ == "__main__":
    main()
