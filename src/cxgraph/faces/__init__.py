"""What the graph shows to the outside: the SPARQL 1.1 Protocol endpoint (later the API and MCP)."""
