"""Configuration: the shared schema (dims, names, units) and pydantic models for the YAML files here.

Every stage of the service may import this package; it imports nothing else of ours.
"""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
"""Folder holding the packaged YAML configuration (networks, defaults)."""
