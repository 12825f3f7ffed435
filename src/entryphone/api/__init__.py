"""The HTTP API: one package per surface (admin, billing, client) plus shared conventions."""
