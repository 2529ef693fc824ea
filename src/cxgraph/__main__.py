"""`python -m cxgraph` runs the command line."""

from cxgraph.cli.app import main

main()
