"""A write worker of `cxgraph serve --writable` (see sparql_endpoint.write_bounded): one write, then exit.

Reads a pickled write job on stdin, applies it to a workspace of the store and publishes it, and writes
the pickled (status, title, detail) on stdout. Its parent kills it at the time limit.
"""

import pickle
import sys
from pathlib import Path

from cxgraph.faces.sparql_endpoint import apply_write
from cxgraph.stores.query_pool import _limit_memory

if __name__ == "__main__":
    _limit_memory(int(sys.argv[3]))
    job = pickle.loads(sys.stdin.buffer.read())
    result = apply_write(Path(sys.argv[1]), Path(sys.argv[2]), job)
    sys.stdout.buffer.write(pickle.dumps(result))
