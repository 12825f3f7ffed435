"""The resident call log and the call state machine: ring -> answered -> ended, or missed / rejected."""
