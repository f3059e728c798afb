"""The vendor clients: Zoom (REST/OAuth, the Meeting SDK signature) and LiveAvatar (REST, its refusals in words), over
one HTTP policy (timeouts, retries) and the pacing of calls."""
