"""Accounts (admins, billing systems, residents) and their bearer tokens."""
