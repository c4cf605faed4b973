"""Parsers: pure functions from the bytes of one document to the canonical record."""
