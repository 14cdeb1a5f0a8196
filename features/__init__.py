"""Feature tables for issue time T and leads 1…72 h (built in the training issue)."""
