"""Passwords, bearer tokens and secrets at rest."""
