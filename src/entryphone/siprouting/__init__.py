"""Whom a panel's SIP call rings now, and what Kamailio reports about it (docs/calls.md)."""
