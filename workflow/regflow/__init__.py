"""regflow: from raw reads to trained, interpreted models of chromatin and expression."""

__version__ = "0.1.0"
