"""JSON Schema of the file formats, generated from the models.

Imports: profiles.models.
"""

from __future__ import annotations

from typing import Any, Literal

from careprofiles.profiles.models import PathwayFile, Stage

__all__ = ["json_schema"]


def json_schema(which: Literal["stage", "pathway", "all"] = "all") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a stage file, pathway.yaml, or either."""
    stage = Stage.model_json_schema()
    pathway = PathwayFile.model_json_schema()
    titles = ("careprofiles/1 stage care profile", "careprofiles/1 pathway.yaml")
    for schema, title in zip((stage, pathway), titles, strict=True):
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = title
    if which == "stage":
        return stage
    if which == "pathway":
        return pathway
    defs = {**stage.pop("$defs", {}), **pathway.pop("$defs", {})}
    stage.pop("$schema"), pathway.pop("$schema")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "careprofiles/1: pathway.yaml or a stage file",
        "anyOf": [pathway, stage],
        "$defs": defs,
    }
