"""The read path: the in-memory snapshot, blocks, the loader, snippets."""
