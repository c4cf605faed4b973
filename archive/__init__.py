"""The archive: the one place that writes SQLite (raw bodies, provenance, parsed reports)."""
