"""Bulletin rendering (built in the bulletin issue)."""
