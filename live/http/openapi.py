"""The OpenAPI 3.1 document, generated from ``live.http.api.ENDPOINTS`` (the routes that exist)."""

from __future__ import annotations

import re
from typing import Any

from live.http.api import ENDPOINTS

__all__ = ["openapi"]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def openapi(version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        op: dict[str, Any] = {
            "summary": ep.summary,
            "operationId": ep.handler.__name__,
            "parameters": [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                }
                for name in re.findall(r"\{(\w+)\}", ep.path)
            ]
            + [
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, text in ep.query.items()
            ],
            "responses": {
                str(ep.status): {"description": "success"}
                if ep.status == 204
                else {"description": "success", "content": {ep.produces: {"schema": {}}}},
                "4XX": {
                    "description": "bad input, missing token, unknown id or conflict",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        if not ep.public:
            op["security"] = [{"bearer": []}]
            op["x-role"] = "teacher" if ep.teacher else "teacher or projector"
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ep.body.schema(partial=ep.partial)}},
            }
        elif ep.raw_body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {ep.raw_body: {"schema": {"type": "string"}}},
            }
        paths.setdefault("/api" + ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cardcheck",
            "version": version,
            "description": "Classroom formative checks with printed answer cards. Every error is "
            '{"error": {"code", "message"}}.',
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": _ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
