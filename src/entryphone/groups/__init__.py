"""The address tree of intercom groups (city > street > house ...)."""
