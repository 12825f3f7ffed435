"""The audit trail: who changed what, when, through which API, and what the caller said about it."""
