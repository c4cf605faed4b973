"""`ogi replica …`: serve the replica portal network, print its truth or its registry.

    ogi replica serve --port 8899 --seed 1          # then: curl -x http://127.0.0.1:8899 http://<host>/
    ogi replica truth --seed 2 --epoch 2 > truth.json
    ogi replica registry --seed 1 > portals.csv
"""

from __future__ import annotations

import json
import threading

import click

from crawler.replica.network import DEFAULT_PORTALS, build_network
from crawler.replica.server import serve_in_thread

network_options = [
    click.option("--seed", default=1, show_default=True, help="Which network: the same seed gives the same bytes."),
    click.option("--epoch", default=1, show_default=True, type=click.IntRange(1, 2),
                 help="2: the same network half a year later (new, corrected, deleted and moved reports)."),
    click.option("--portals", default=DEFAULT_PORTALS, show_default=True, type=click.IntRange(1, 3000),
                 help="How many county portals."),
    click.option("--faults", is_flag=True, help="Plant faults: dead and walled portals, 5xx, timeouts, resets, "
                                                "redirect loops, oversized bodies, a gzip bomb."),
    click.option("--https", is_flag=True, help="Serve a share of the portals over https only (reached through "
                                               "CONNECT; http answers a 301 to https)."),
    click.option("--scripted", is_flag=True, help="Some portals print only a column's first page; their script "
                                                  "lists the rest from a JSON API."),
]


def with_network_options(command):
    for option in reversed(network_options):
        command = option(command)
    return command


@click.group("replica")
def replica() -> None:
    """The offline replica of county and township portals (tests, demo, benchmarks).

    \b
    Examples:
        ogi replica serve --port 8899 --faults
        ogi replica truth --seed 2 > truth.json
    """


@replica.command("serve")
@click.option("--port", default=8899, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1 (0: any free port).")
@with_network_options
def serve(port: int, seed: int, epoch: int, portals: int, faults: bool, https: bool, scripted: bool) -> None:
    """Run the forward proxy until interrupted.

    \b
    Example:
        ogi replica serve --port 8899 --portals 20 --faults
        curl -x http://127.0.0.1:8899 http://<host>/    (a host that it prints)
    """
    network = build_network(seed=seed, epoch=epoch, portals=portals, faults=faults, https=https, scripted=scripted)
    running = serve_in_thread(network, port=port)
    counties = [site for site in network.sites.values() if site.level == "county"]
    click.echo(f"replica seed {seed} epoch {epoch}: {len(network.sites)} sites, {len(counties)} county portals, "
               f"{len(network.reports)} report documents{', faults planted' if faults else ''}")
    click.echo(f"proxy: {running.proxy_url}   e.g. curl -x {running.proxy_url} {counties[0].url}")
    click.echo(f"crawl it with: http_proxy={running.proxy_url} https_proxy={running.proxy_url}"
               " scrapy crawl county_portals")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        running.stop()


@replica.command("truth")
@with_network_options
def truth(seed: int, epoch: int, portals: int, faults: bool, https: bool, scripted: bool) -> None:
    """Print the ground truth as JSON: portals, reports with every value, look-alikes, faults.

    \b
    Example:
        ogi replica truth --seed 2 --epoch 2 --faults > truth.json
    """
    network = build_network(seed=seed, epoch=epoch, portals=portals, faults=faults, https=https, scripted=scripted)
    click.echo(json.dumps(network.truth(), ensure_ascii=False, indent=1))


@replica.command("registry")
@with_network_options
def registry(seed: int, epoch: int, portals: int, faults: bool, https: bool, scripted: bool) -> None:
    """Print the portal registry CSV (code,name,level,province,city,url) of the network.

    \b
    Example:
        ogi replica registry --portals 20 > portals.csv
    """
    network = build_network(seed=seed, epoch=epoch, portals=portals, faults=faults, https=https, scripted=scripted)
    click.echo(network.registry_csv(), nl=False)


COMMANDS: list[click.Command] = [replica]
