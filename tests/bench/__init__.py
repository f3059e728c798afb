"""Benchmarks (`make bench`): measured, not asserted. Results go to bench/results.json and the README table."""
