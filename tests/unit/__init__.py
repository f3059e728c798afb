"""Unit tests of small parts: settings, chromium choice."""
