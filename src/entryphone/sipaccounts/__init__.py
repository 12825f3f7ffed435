"""SIP accounts of residents' phones, and the Digest secrets Kamailio checks (docs/calls.md)."""
