"""Tests of fakes/liveavatar: REST contract, limits, faults, speech, the stand-in SDK and the real SDK in Chromium."""
