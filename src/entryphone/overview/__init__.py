"""Read models for the operator's console: the fleet at a glance, the resident directory, the whole
audit trail. Reads only; every write goes through the owning noun's service."""
