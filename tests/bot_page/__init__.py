"""Tests of the bot page: serving, the media bridge, the adapters against the fakes and the real SDKs."""
