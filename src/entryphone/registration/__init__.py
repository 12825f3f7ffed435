"""Self-registration: a resident adds an intercom by typing a short code on its keypad and touching a key."""
