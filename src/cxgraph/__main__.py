"""`python -m cxgraph` runs the command line."""

from .cli import main

main()
