"""Helpers shared by the tests: free ports, servers run in-process or as subprocesses, browsers, media files."""
