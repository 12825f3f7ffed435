"""RFID / Touch-Memory keys of intercoms: the desired state the fleet pushes to devices."""
