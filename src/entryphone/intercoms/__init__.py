"""Intercoms: the panels at entrances, their settings and life cycle (create, update, soft delete)."""
