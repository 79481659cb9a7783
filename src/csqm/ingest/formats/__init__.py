"""Format readers behind :mod:`csqm.ingest.readers`: one module per input format plus shared helpers."""
