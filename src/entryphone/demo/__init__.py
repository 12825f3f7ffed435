"""The one-command demo: demo data for a small emulated fleet (see cli/demo.py for the runner)."""
