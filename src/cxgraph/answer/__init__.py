"""Answering questions from the graph: the named competency queries and their rendering."""
