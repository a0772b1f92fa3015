"""The OpenAPI 3.1 document, generated from ``live.http.api.ENDPOINTS`` (the routes that exist).

Nothing here is written by hand twice: request bodies are the pydantic models of
``live.http.bodies`` (the same ones that check requests), query parameters are the
``live.http.params`` declarations the app reads them with, and path ids have the bounds
``live.ids`` holds them to. Links tie each created resource to the operations on it (its id
in their path), so a client, or a stateful fuzzer, can follow them.
"""

from __future__ import annotations

import re
from typing import Any

from live.http.api import ENDPOINTS, Endpoint
from live.http.bodies import schema as body_schema
from live.http.params import time_zones
from live.ids import MAX_ID
from live.realtime.access import COOKIE

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
_PATH_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _names(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


def _operation(ep: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "success"}
    if ep.status != 204:
        success["content"] = {media: {"schema": {}} for media in ep.produces}
    op: dict[str, Any] = {
        "summary": ep.summary,
        "operationId": ep.handler.__name__,
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": dict(_PATH_ID)}
            for name in _names(ep.path)
        ]
        + [
            {
                "name": name,
                "in": "query",
                "required": param.required,
                "description": param.description,
                "schema": param.schema(),
            }
            for name, param in ep.query.items()
        ],
        "responses": {
            str(ep.status): success,
            "4XX": {
                "description": "bad input, missing token, unknown id or conflict",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    if not ep.public:
        op["security"] = [{"bearer": []}, {"cookie": []}]
        op["x-role"] = _role(ep)
    if ep.body is not None:
        schema = body_schema(ep.body)
        components.update(schema.pop("$defs", {}))
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    elif ep.raw_body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {ep.raw_body: {"schema": {"type": "string", "format": "binary"}}},
        }
    return op


def _role(ep: Endpoint) -> str:
    if ep.admin:
        return "admin"
    who = "teacher" if ep.teacher else "teacher or projector"
    if ep.owner:
        who = "the class's owner or an admin"
    if "{class_id}" in ep.path or "{session_id}" in ep.path:
        who += " (of the class: any other class is 404)"
    return who


def _links(ep: Endpoint) -> dict[str, Any]:
    """From a create (201 at ``P``) to every operation on ``P/{x_id}...``: ``x_id`` is the new
    resource's ``id``, and the ids ``P`` already had are the request's own."""
    out: dict[str, Any] = {}
    for other in ENDPOINTS:
        rest = other.path.removeprefix(ep.path + "/")
        if rest == other.path or not rest.startswith("{") or not other.linked:
            continue
        new = _names(rest)[0]
        parameters = {name: f"$request.path.{name}" for name in _names(ep.path)}
        parameters[new] = "$response.body#/id"
        link_name = f"{other.method.lower()}_{other.handler.__name__}"
        out[link_name] = {"operationId": other.handler.__name__, "parameters": parameters}
    return out


def openapi(version: str) -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": _ERROR,
        "TimeZone": {"type": "string", "enum": list(time_zones())},
    }
    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        op = _operation(ep, components)
        if ep.status == 201:
            links = _links(ep)
            if links:
                op["responses"]["201"]["links"] = links
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
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the owner token (`--token`, `CARDCHECK_TOKEN`), a personal "
                    "API token made on the console's Account tab, or a link's token (projector, "
                    "scanner: one session only). Pages may send it as `?token=` instead.",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": COOKIE,
                    "description": "the sign-in cookie set by `POST /api/login` or the owner link "
                    "(`/signin?token=`); a write with it must carry this server's `Origin`.",
                },
            },
        },
    }
