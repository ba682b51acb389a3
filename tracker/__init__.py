"""tracker: keeps a research report current."""

__version__ = "0.1.0"
