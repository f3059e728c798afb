"""Webhooks: the signing secret, and the sender that delivers the webhook outbox to every receiver URL."""
