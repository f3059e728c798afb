"""Tests of fakes/liveavatar: REST contract, limits, faults, the LiveKit room and its conversation (through a Python
LiveKit client), speech, and the vendor's real web SDK against it in Chromium."""
