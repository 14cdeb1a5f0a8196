"""Hindcasts, correctors and verification (built in the training issue)."""
