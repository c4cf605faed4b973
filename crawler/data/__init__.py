"""Data shipped with the crawler: the national portal registry (county_portals.csv), the curated
portals that override its rows (portals.csv) and the provincial portals (provinces.csv)."""
