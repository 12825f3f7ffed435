"""Temporary door codes of intercom flats: 5 digits, unique per intercom, valid until expired_at."""
