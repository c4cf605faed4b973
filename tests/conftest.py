"""Session fixtures: the replica portal network on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from crawler.replica.network import build_network
from crawler.replica.server import RunningReplica, serve_in_thread


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
