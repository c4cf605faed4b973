"""Parsers: pure functions from the bytes of one document to the canonical record."""

from parsers.document import complete_from_links, parse_document, unreadable_record, with_page_metadata
from parsers.version import PARSER_VERSION

__all__ = ["complete_from_links", "parse_document", "unreadable_record", "with_page_metadata", "PARSER_VERSION"]
