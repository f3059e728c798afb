"""avatarfarm's test suite: unit, API, browser end-to-end and failure injection; bench/ holds benchmarks."""
