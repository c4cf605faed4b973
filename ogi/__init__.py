"""The ``ogi`` command line: one entry point over the crawler, the parser and the archive."""
