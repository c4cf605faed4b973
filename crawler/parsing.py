"""Documents are parsed in worker processes, off the crawl's process, each within limits.

Why processes and not a thread: the parser is CPU-bound Python. In a thread it holds the GIL
while every SQLite statement and HTML parse of the reactor releases it and then waits its
turn to get it back, a convoy that made the archive's writes some forty times slower. A
process uses the other core instead, and a document that crashes its reader (pdfium on
hostile bytes) kills one worker, not the crawl. The workers run at a lower CPU priority: on
a busy machine the crawl's fetching goes first and the parsing catches up after.

A worker parses one document at a time, so whatever happens to it is that document's doing:

- it answers within ``OGI_PARSE_TIME_LIMIT`` seconds, or the supervisor (a thread of this
  process waiting for the answer) kills it and its children, and the document is recorded
  ``unreadable``, "exceeded 30 s";
- its address space is capped at ``OGI_PARSE_MEMORY_LIMIT`` (``RLIMIT_AS``): an allocation
  past it fails with MemoryError, the document is recorded "exceeded 1 GiB" and the worker
  is replaced;
- if it dies (a crash in C), the document is tried once more in a fresh worker, and if that
  one dies too it is recorded as having crashed the parser process.

No orphans: workers are plain subprocesses (``python -m crawler.parsing``) talking over
pipes, not multiprocessing, so no resource-tracker process is started. A worker asks the
kernel to kill it when the crawl dies (``PR_SET_PDEATHSIG``), and an idle worker also exits
when its request pipe reaches end-of-file, which is what the crawl's death does to it.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from parsers import parse_document, unreadable_record

logger = logging.getLogger(__name__)

_NICENESS = 10
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_HEADER = struct.Struct("!Q")  # each message: its length, then the pickle
# How an answer reports the memory limit (the parser turns a MemoryError into "unreadable").
_MEMORY_ERROR = "MemoryError"


class _Dead(Exception):
    """The worker died before answering."""


class _TimedOut(Exception):
    """The worker did not answer within the time limit and was killed."""


class _OutOfMemory(Exception):
    """The document hit the worker's memory limit."""


def _describe_bytes(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def _send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream):
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class _Worker:
    """One parser subprocess, used by one document at a time."""

    def __init__(self, parse: Callable[..., dict], memory_limit: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crawler.parsing", str(os.getpid()), str(memory_limit)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            # Its own process group: a timeout kills its children too (an OCR run), and the
            # terminal's Ctrl-C goes to the crawl, which then closes its workers itself.
            start_new_session=True,
        )
        # The function goes pickled inside the message: the worker can unpickle it only once
        # it has this process's import path (a test's fake parser lives in tests/).
        _send(self.process.stdin, (sys.path, pickle.dumps(parse)))
        self.ready = False

    def parse(self, request: tuple, time_limit: float):
        """The worker's answer to ``request``; runs in a supervisor thread."""
        try:
            if not self.ready:  # a new worker's imports do not count against its first document
                _receive(self.process.stdout)
                self.ready = True
            _send(self.process.stdin, request)
            ready, _, _ = select.select([self.process.stdout], [], [], time_limit)
            if not ready:
                self.kill()
                raise _TimedOut
            status, value = _receive(self.process.stdout)
        except (EOFError, BrokenPipeError, OSError, pickle.UnpicklingError) as exc:
            self.kill()
            raise _Dead from exc
        if status == "memory":
            self.kill()
            raise _OutOfMemory
        return value

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def close(self, timeout: float = 5.0) -> None:
        try:
            self.process.stdin.close()  # end-of-file: the worker exits
            self.process.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


class ParserPool:
    """``await pool.parse(body, url, content_type)`` → the parser's record, computed elsewhere."""

    def __init__(self, processes: int, *, time_limit: float, memory_limit: int,
                 parse: Callable[..., dict] = parse_document):
        self.processes = max(1, processes)
        self._parse = parse  # a module-level function: it is pickled to the workers
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self._idle: list[_Worker] = []
        self._slots: asyncio.Semaphore | None = None
        self._supervisors = ThreadPoolExecutor(self.processes, thread_name_prefix="parser-supervisor")
        self.crashes = 0
        self.over_limits = 0

    async def parse(self, body: bytes, url: str | None, content_type: str | None) -> dict:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.processes)
        async with self._slots:
            try:
                try:
                    return await self._in_worker(body, url, content_type)
                except _Dead:  # perhaps not this document's fault: once more, in a fresh worker
                    return await self._in_worker(body, url, content_type)
            except _Dead:
                self.crashes += 1
                logger.warning("the parser process crashed on %s (twice)", url)
                return unreadable_record(body, url, content_type, "the document crashed the parser process")
            except _TimedOut:
                reason = f"exceeded {self.time_limit:g} s"
            except _OutOfMemory:
                reason = f"exceeded {_describe_bytes(self.memory_limit)}"
        self.over_limits += 1
        logger.warning("parsing %s %s: recorded unreadable", url, reason)
        return unreadable_record(body, url, content_type, reason)

    async def _in_worker(self, body: bytes, url: str | None, content_type: str | None) -> dict:
        # Started here, in the reactor's thread: PR_SET_PDEATHSIG fires when the thread that
        # started a process ends, and the supervisor threads may end before the crawl does.
        worker = self._idle.pop() if self._idle else _Worker(self._parse, self.memory_limit)
        loop = asyncio.get_running_loop()
        record = await loop.run_in_executor(
            self._supervisors, worker.parse, (body, url, content_type), self.time_limit)
        self._idle.append(worker)  # only a worker that answered is used again
        return record

    def close(self) -> None:
        for worker in self._idle:
            worker.close()
        self._idle.clear()
        self._supervisors.shutdown(wait=True)


# -- the worker process ---------------------------------------------------------------------


def _die_with(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the crawl died before the request took effect
        os._exit(0)


def _serve(parent: int, memory_limit: int) -> None:
    _die_with(parent)
    os.nice(_NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl decides when its workers stop
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library printing to stdout must not garble the answers
    try:
        path, parse = _receive(requests)
    except EOFError:
        return
    sys.path[:0] = [entry for entry in path if entry not in sys.path]
    parse = pickle.loads(parse)
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    _send(answers, ("ready", None))
    while True:
        try:
            body, url, content_type = _receive(requests)
        except EOFError:
            return  # the crawl closed the pool, or died
        try:
            record = parse(body, url, content_type)
        except MemoryError:
            record = None
        # parse_document turns any reader's exception into "unreadable"; a MemoryError in a
        # process with an address-space cap is the cap's doing.
        if record is None or (record.get("kind") == "unreadable" and _MEMORY_ERROR in (record.get("reason") or "")):
            _send(answers, ("memory", None))
            return
        _send(answers, ("ok", record))


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
