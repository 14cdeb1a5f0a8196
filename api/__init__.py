"""The HTTP API and dashboard (built in the API issue)."""
