"""One module per function group of the 2N HTTP API; each exposes its typed reply models."""
