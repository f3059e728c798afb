"""The browsers: where a bot's Chromium runs (on this machine or on a browser node), with which flags, how many at
once, and what their console lines become; the node server (`avatarfarm node`) and the orphan sweep."""
