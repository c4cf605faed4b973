"""Data shipped with the crawler: the bundled portal registry (portals.csv)."""
