"""The `cxgraph` command, one module per command group."""

from cxgraph.cli.app import app, main

__all__ = ["app", "main"]
