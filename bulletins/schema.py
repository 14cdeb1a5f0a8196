"""The JSON Schema (draft 2020-12) of ``bulletin.json``, derived from the content dataclasses so it cannot drift
from what is written; kept as ``docs/bulletin.schema.json`` (a test checks the two agree)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from bulletins.content import BulletinContent
from bulletins.files import BULLETIN_SCHEMA


def bulletin_json_schema() -> dict[str, Any]:
    """JSON Schema of a bulletin document (``{"schema": "vnaqi.bulletin/1", …content…}``)."""
    schema = TypeAdapter(BulletinContent).json_schema(mode="serialization")
    schema["properties"] = {"schema": {"const": BULLETIN_SCHEMA, "title": "Schema"}, **schema["properties"]}
    schema["required"] = ["schema", *schema["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://vnaqi.example/schemas/bulletin-1.json",
        **schema,
        "title": "VN_AQI forecast bulletin (vnaqi.bulletin/1)",
    }


def schema_text() -> str:
    """The schema as the text of ``docs/bulletin.schema.json``."""
    return json.dumps(bulletin_json_schema(), ensure_ascii=False, indent=2) + "\n"
