"""HTTP face of avatarfarm: the REST API, Server-Sent Events, auth and the CLI that starts it all."""
