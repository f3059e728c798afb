"""Tests of the farm: credentials, context, recovery, capacity, money, restarts, the demo."""
