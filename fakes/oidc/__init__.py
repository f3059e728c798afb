"""A small OpenID Connect provider for tests and the demo (`avatarfarm fake-oidc`)."""
