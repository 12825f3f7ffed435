"""The minimal camera registry: a camera, its streams (low / high) and their encrypted URLs."""
