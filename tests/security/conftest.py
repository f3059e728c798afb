"""Security tests play an attacker against the real app: the API fixtures of tests/api, shared here."""

from tests.api.conftest import api, farm_choice  # noqa: F401  (fixtures)
