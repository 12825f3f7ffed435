"""SECRET_KEY rotation: re-encrypting every secret at rest under the current key."""
