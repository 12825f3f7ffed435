"""Database plumbing: engine and session factories, the declarative base, migrations."""
