"""The 2N Helios IP driver. The only place where entryphone.helios errors become driver errors."""

from entryphone.devices.twon.driver import TwoNDriver
from entryphone.devices.twon.probe import TwoNProfile

__all__ = ["TwoNDriver", "TwoNProfile"]
