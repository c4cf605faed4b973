"""Commands of this package for the ``ogi`` command line (gathered by ``ogi/cli.py``)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
