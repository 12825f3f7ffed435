"""Door-open requests from residents' apps: recorded, then handed to the device layer."""
