"""The OpenAPI schema documents every error an operation can answer, not only its success.

:class:`AutoSchema` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds, where the operation does
not declare its own body for that status:

- 400 when it takes a body or parameters (field errors, malformed or too deeply nested JSON);
- 401 when it needs a signed-in caller, 403 when it needs one or writes (rights, CSRF);
- 404 when the path names an object or the list is paginated (a page past the end);
- 409 when it writes (a business rule about the current state said no);
- 413 when it takes a body; 429 when it is throttled; 503 everywhere (database unavailable).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent

ERROR = {
    "type": "object",
    "description": "`detail` says what went wrong; `code` names the kind (`invalid`, `forbidden`, "
    "`not_found`, `conflict`, `too_large`, `unavailable`, …); a 409 may name the object in the way.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": 'Field errors, `{"<field>": ["<reason>", …]}` (nested like the input for nested '
    'fields), or `{"detail": "…"}` for the request as a whole; `code` when a business rule refused.',
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "additionalProperties": {},
}
DESCRIPTIONS = {
    "400": "Invalid input: nothing was written.",
    "401": "Not signed in: send `Authorization: Token <token>`.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object, or not one you may see (or a page past the end).",
    "409": "Refused by the current state (e.g. already decided, already running).",
    "413": "The request body is over the size limit.",
    "429": "Too many requests: wait and retry (see `Retry-After`).",
    "503": "Temporarily unavailable (database): retry after `Retry-After` seconds.",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            responses.setdefault(code, self._error_response(code))
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        has_body = "requestBody" in operation
        parameters = operation.get("parameters", [])
        anonymous = {} in operation.get("security", [])
        write = self.method in WRITE_METHODS
        codes = []
        if has_body or parameters:
            codes.append("400")
        if not anonymous:
            codes.append("401")
        if not anonymous or write:
            codes.append("403")
        if "{" in self.path or any(p.get("name") == "page" for p in parameters):
            codes.append("404")
        if write:
            codes.append("409")
        if has_body:
            codes.append("413")
        if self.view.get_throttles():
            codes.append("429")
        codes.append("503")
        return codes

    def _component(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref

    def _error_response(self, code: str) -> dict[str, Any]:
        schema = (
            self._component("ValidationError", VALIDATION_ERROR)
            if code == "400"
            else self._component("Error", ERROR)
        )
        response: dict[str, Any] = {
            "description": DESCRIPTIONS[code],
            "content": {"application/json": {"schema": schema}},
        }
        if code in ("429", "503"):
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
        return response
