"""A time cap per document, checked between the heavy steps."""

from __future__ import annotations

import time


class TimeCapExceeded(Exception):
    pass


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise TimeCapExceeded(f"parsing took longer than the {self.seconds:g} s cap")
