"""Who may write: API keys and signed session cookies with CSRF tokens, roles, and rate limiting of the public
reads. Reads never need an account; every write (approve, override, rerun, ingest) needs a forecaster or admin."""
