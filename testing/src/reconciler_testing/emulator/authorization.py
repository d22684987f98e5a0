"""Azure RBAC's read side (``Microsoft.Authorization``), small, as ARM documents it, so code
that asks what an identity may do (``reconcile doctor``) can be tested offline.

- ``GET {scope}/providers/Microsoft.Authorization/permissions`` (api 2022-04-01): the caller's
  effective grants at ``scope``: ``{"value": [{"actions", "notActions", "dataActions",
  "notDataActions"}]}``, one item per role assigned to the caller at the scope or above it.
  The caller is the token's ``oid`` (its object id).
- ``GET {scope}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq
  '{id}'``: that principal's assignments at, above or below ``scope``.
- ``GET /subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{id}``.

Roles and assignments are the emulator's state, set with ``PUT /_emulator/authorization``
(``{"definitions": [{"id", "roleName", "permissions": [...]}], "assignments": [{"id",
"principalId", "roleDefinitionId", "scope"}]}``). With none set, every caller may do
everything (``*``), as a subscription owner would: existing tests are untouched.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any

from reconciler_testing.emulator.protocol import ApiError, Request, Response

_AUTHZ = r"/providers/Microsoft\.Authorization"
PERMISSIONS = re.compile(rf"^(?P<scope>/subscriptions/.+?){_AUTHZ}/permissions$", re.I)
ASSIGNMENTS = re.compile(rf"^(?P<scope>/subscriptions/.+?){_AUTHZ}/roleAssignments$", re.I)
DEFINITION = re.compile(rf"^/subscriptions/[^/]+{_AUTHZ}/roleDefinitions/(?P<id>[^/]+)$", re.I)
_PRINCIPAL = re.compile(r"^\s*principalId\s+eq\s+'(?P<id>[^']+)'\s*$", re.I)
OWNER = {"actions": ["*"], "notActions": [], "dataActions": ["*"], "notDataActions": []}


def covers(outer: str, inner: str) -> bool:
    outer, inner = outer.rstrip("/").lower(), inner.rstrip("/").lower()
    return inner == outer or inner.startswith(outer + "/")


class Authorization:
    """The emulator's roles and their assignments."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._definitions: dict[str, dict[str, Any]] | None = None
        self._assignments: list[dict[str, Any]] = []

    def configure(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidRequest", "a JSON object with definitions, assignments")
        with self._lock:
            self._definitions = {
                str(d["id"]).rsplit("/", 1)[-1].lower(): d for d in body.get("definitions", [])
            }
            self._assignments = list(body.get("assignments", []))
        return Response(204, empty=True)

    @staticmethod
    def serves(path: str) -> bool:
        return bool(PERMISSIONS.match(path) or ASSIGNMENTS.match(path) or DEFINITION.match(path))

    def answer(self, req: Request) -> Response:
        if req.method != "GET":
            raise ApiError(405, "MethodNotAllowed", f"{req.method} is not allowed here.")
        if (found := PERMISSIONS.match(req.path)) is not None:
            return Response(200, {"value": self._grants(_caller(req), found["scope"])})
        if (found := ASSIGNMENTS.match(req.path)) is not None:
            return Response(200, {"value": self._assigned(req, found["scope"])})
        found = DEFINITION.match(req.path)
        assert found is not None
        return Response(200, self._definition(found["id"]))

    def _grants(self, principal: str, scope: str) -> list[dict[str, Any]]:
        with self._lock:
            if self._definitions is None:
                return [dict(OWNER)]
            grants = []
            for assignment in self._assignments:
                if assignment["principalId"] == principal and covers(assignment["scope"], scope):
                    grants += self._permissions(assignment["roleDefinitionId"])
            return grants

    def _assigned(self, req: Request, scope: str) -> list[dict[str, Any]]:
        text = req.param("$filter") or ""
        wanted = _PRINCIPAL.match(text)
        if wanted is None:
            raise ApiError(400, "UnsupportedQuery", "this emulator answers $filter=principalId eq")
        with self._lock:
            return [
                {
                    "id": a["id"],
                    "type": "Microsoft.Authorization/roleAssignments",
                    "name": str(a["id"]).rsplit("/", 1)[-1],
                    "properties": {
                        "roleDefinitionId": a["roleDefinitionId"],
                        "principalId": a["principalId"],
                        "principalType": "ServicePrincipal",
                        "scope": a["scope"],
                    },
                }
                for a in self._assignments
                if a["principalId"] == wanted["id"]
                and (covers(a["scope"], scope) or covers(scope, a["scope"]))
            ]

    def _permissions(self, definition_id: str) -> list[dict[str, Any]]:
        found = (self._definitions or {}).get(definition_id.rsplit("/", 1)[-1].lower())
        return list((found or {}).get("permissions", []))

    def _definition(self, definition_id: str) -> dict[str, Any]:
        with self._lock:
            found = (self._definitions or {}).get(definition_id.lower())
        if found is None:
            raise ApiError(404, "RoleDefinitionDoesNotExist", "The specified role does not exist.")
        return {
            "id": found["id"],
            "type": "Microsoft.Authorization/roleDefinitions",
            "name": definition_id,
            "properties": {
                "roleName": found.get("roleName", definition_id),
                "type": "CustomRole",
                "permissions": found.get("permissions", []),
                "assignableScopes": found.get("assignableScopes", ["/"]),
            },
        }


def _caller(req: Request) -> str:
    """The signed-in identity's object id, from its bearer token (unsigned, as ours are)."""
    header = next((v for k, v in req.headers.items() if k.lower() == "authorization"), "")
    token = header.removeprefix("Bearer ").strip()
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise ApiError(401, "InvalidAuthenticationToken", "The access token is invalid.") from None
    return str(claims.get("oid") or claims.get("appid") or "")
