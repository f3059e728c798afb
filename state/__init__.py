"""Durable state of avatarfarm: SQLite schema, migrations and a typed repository."""
