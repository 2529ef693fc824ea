"""Where the graph lives: the embedded store (generations on disk), a remote SPARQL store, query workers."""
