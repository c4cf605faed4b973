"""Word 97 (``.doc``), WPS and RTF documents to DOCX through LibreOffice headless.

No Python library reads these formats' tables faithfully; LibreOffice does. The parsers
are pure functions of bytes, and this module keeps them so in effect: the converter runs
as a child process on a private copy of the bytes in a fresh temporary directory (its own
LibreOffice profile there too, so concurrent conversions never hand each other their
documents), capped in time and address space, and everything it wrote is deleted before
the DOCX bytes are returned. Nothing outside that directory is read or written.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 15.0
MEMORY_BYTES = 2 << 30  # LibreOffice's own footprint is about 1 GiB of address space
_EXECUTABLES = ("soffice", "libreoffice")


class ConversionFailed(Exception):
    """The document could not be converted; the message says why in one line."""


def converter() -> str | None:
    """The LibreOffice executable on PATH, or None."""
    return next((path for name in _EXECUTABLES if (path := shutil.which(name))), None)


@functools.cache
def converter_version() -> str:
    """E.g. ``LibreOffice 7.4.7.2``: recorded with every converted document."""
    executable = converter()
    if executable is None:
        return "none"
    with tempfile.TemporaryDirectory(prefix="ogi-convert-") as work:
        done = _run([executable, f"-env:UserInstallation={Path(work, 'profile').as_uri()}", "--version"],
                    work, TIMEOUT_SECONDS)
    return " ".join(done.stdout.decode("utf-8", "replace").split()[:2]) or "LibreOffice"


def to_docx(body: bytes, source_format: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The DOCX LibreOffice makes of ``body`` (a ``doc``, ``wps`` or ``rtf`` file).

    Raises ConversionFailed when LibreOffice is missing, runs out of time or memory, or
    writes nothing (it exits 0 on a document it cannot read).
    """
    executable = converter()
    if executable is None:
        raise ConversionFailed(f"{source_format.upper()} needs LibreOffice (soffice), which is not installed")
    with tempfile.TemporaryDirectory(prefix="ogi-convert-") as work:
        source = Path(work, f"document.{source_format}")
        source.write_bytes(body)
        out_dir = Path(work, "out")
        command = [executable, f"-env:UserInstallation={Path(work, 'profile').as_uri()}", "--headless",
                   "--norestore", "--nolockcheck", "--convert-to", "docx", "--outdir", str(out_dir), str(source)]
        done = _run(command, work, timeout)
        target = out_dir / "document.docx"
        if not target.is_file() or target.stat().st_size == 0:
            said = " ".join(line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines()
                            if line.strip() and not line.startswith("Warning:"))[-200:]  # javaldx noise
            raise ConversionFailed(f"LibreOffice could not convert this {source_format.upper()} file"
                                   f" (exit {done.returncode}{': ' + said if said else ''})")
        return target.read_bytes()


def _run(command: list[str], work: str, timeout: float) -> subprocess.CompletedProcess:
    """Run in its own process group, so a timeout ends LibreOffice's helper processes too."""
    env = dict(os.environ, HOME=work, TMPDIR=work)
    process = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_limit_memory)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ConversionFailed(f"LibreOffice took longer than {timeout:.0f} s to convert the document") from None
    finally:
        _end_group(process.pid)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _end_group(pid: int) -> None:
    """soffice forks soffice.bin; a child left behind would keep the profile directory busy."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
