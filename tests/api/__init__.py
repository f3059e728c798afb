"""Tests of the REST API, the event stream, probes and metrics."""
