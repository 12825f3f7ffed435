"""Flats of an intercom (intercom_flats records), their residents and per-flat settings."""
