"""The fleet supervisor: one event long-poll per device, the event journal, leases across nodes,
and device access for commands (open door, snapshot, key sync)."""
