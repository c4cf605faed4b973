"""Documents are parsed in worker processes, off the crawl's process.

Why processes and not a thread: the parser is CPU-bound Python. In a thread it holds the GIL
while every SQLite statement and HTML parse of the reactor releases it and then waits its
turn to get it back, a convoy that made the archive's writes some forty times slower. A
process uses the other core instead, and a document that crashes its reader (pdfium on
hostile bytes) kills one worker, not the crawl: the document is tried again alone, and if
it crashes that worker too it is recorded as ``unreadable`` with the reason. The workers run
at a lower CPU priority: on a busy machine the crawl's fetching goes first and the parsing
catches up after.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from parsers import parse_document, unreadable_record

logger = logging.getLogger(__name__)

# Spawned, not forked: a fork of a process running a reactor and SQLite connections
# inherits their state.
_CONTEXT = multiprocessing.get_context("spawn")
_NICENESS = 10


def _lower_priority() -> None:
    os.nice(_NICENESS)


class ParserPool:
    """``await pool.parse(body, url, content_type)`` → the parser's record, computed elsewhere."""

    def __init__(self, processes: int = 1, parse: Callable[..., dict] = parse_document):
        self.processes = max(1, processes)
        self._parse = parse  # a module-level function: it is pickled to the workers
        self._pool: ProcessPoolExecutor | None = None
        self.crashes = 0

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=_CONTEXT, initializer=_lower_priority)
        return self._pool

    async def parse(self, body: bytes, url: str | None, content_type: str | None) -> dict:
        pool = self._executor()
        try:
            return await asyncio.wrap_future(pool.submit(self._parse, body, url, content_type))
        except BrokenProcessPool:
            if self._pool is pool:  # the first of the documents in flight to hear of it replaces it
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
        # Any document in flight may have crashed the worker: this one is tried again alone.
        alone = ProcessPoolExecutor(1, mp_context=_CONTEXT, initializer=_lower_priority)
        try:
            return await asyncio.wrap_future(alone.submit(self._parse, body, url, content_type))
        except BrokenProcessPool:
            self.crashes += 1
            logger.warning("the parser process crashed on %s (twice, the second time alone)", url)
            return unreadable_record(body, url, content_type, "the document crashed the parser process")
        finally:
            alone.shutdown(wait=False)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
