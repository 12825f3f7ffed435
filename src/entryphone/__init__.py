"""entryphone: an open-source platform for operators of apartment-building door intercoms."""

__version__ = "0.1.0"
