"""A replica network of county and township portals, served as a forward proxy on loopback.

It renders reports as real portals print them and never imports ``parsers``.
"""
