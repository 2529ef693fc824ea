"""A query worker process (see query_pool.py); its own module so that what it sends unpickles by name."""

import sys

from cxgraph.stores.query_pool import worker_main

if __name__ == "__main__":
    worker_main(sys.argv)
