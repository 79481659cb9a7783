"""Tests of csqm.ingest.readers (and the csqm.ingest.formats package behind it)."""
