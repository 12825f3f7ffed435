"""The `entryphone` command line."""
