"""Session fixtures (the replica portal network on a free loopback port) and the one rule for
inputs a test needs from outside the repository: ``../shared`` files, system binaries,
optional packages. Missing here, the test skips; under ``CI``, which must run every test, it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from crawler.replica.network import build_network
from crawler.replica.server import RunningReplica, serve_in_thread

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def unavailable(reason: str) -> NoReturn:
    """A test's input is missing: skip it here, fail it under CI (also at module level)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI runs every test)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def shared_path(*parts: str) -> Path:
    """A file or folder of ``../shared`` (seed reports, real documents); missing: ``unavailable``."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        unavailable(f"{path} not found (../shared beside the repository)")
    return path


@pytest.fixture(scope="session")
def replica_factory() -> Iterator[Callable[..., RunningReplica]]:
    """`replica_factory(seed, epoch=1, faults=False, portals=None)`: a running replica, one per arguments."""
    running: dict[tuple, RunningReplica] = {}

    def start(seed: int = 1, epoch: int = 1, faults: bool = False, portals: int | None = None) -> RunningReplica:
        key = (seed, epoch, faults, portals)
        if key not in running:
            running[key] = serve_in_thread(build_network(seed=seed, epoch=epoch, portals=portals, faults=faults))
        return running[key]

    yield start
    for replica in running.values():
        replica.stop()


@pytest.fixture(scope="session")
def replica(replica_factory) -> RunningReplica:
    """The default replica: seed 1, epoch 1, no faults."""
    return replica_factory(seed=1)
