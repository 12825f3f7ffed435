"""Residents' own view of intercoms: which they see, their title per intercom, per-device settings."""
