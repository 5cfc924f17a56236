"""Site tooling: the snippet runner and the MkDocs hooks (not part of the dlcv package)."""
