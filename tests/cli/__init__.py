"""Tests of the avatarfarm command line."""
