"""Spiders: county_portals (the annual reports of listed portals)."""
