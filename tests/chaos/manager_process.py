"""The failure campaign's manager process: the suite's one harness, tests/support/manager_process.py."""

from tests.support.manager_process import ManagerProcess, bot_browsers, restartable_port

__all__ = ["ManagerProcess", "bot_browsers", "restartable_port"]
