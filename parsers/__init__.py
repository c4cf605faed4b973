"""Parsers: pure functions from the bytes of one document to the canonical record."""

from parsers.document import parse_document, unreadable_record, with_page_metadata
from parsers.version import PARSER_VERSION

__all__ = ["parse_document", "unreadable_record", "with_page_metadata", "PARSER_VERSION"]
