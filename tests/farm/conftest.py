"""The farm tests' shared fixtures: `rig_factory`, one room's runner over a scripted bot page."""

from tests.support.scripted_pages import rig_factory

__all__ = ["rig_factory"]
