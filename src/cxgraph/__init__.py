"""cxgraph: an enterprise context graph for customer experience."""

__version__ = "0.1.0"
