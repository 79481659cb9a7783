"""CSQM — Customer Service Quality Monitor."""

__version__ = "0.1.0"
