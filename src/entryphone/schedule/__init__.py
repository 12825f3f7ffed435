"""The call-schedule rule: which of a flat's residents' devices ring at an instant (pure functions)."""
