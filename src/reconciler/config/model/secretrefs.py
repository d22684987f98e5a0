"""The secret-reference grammar: a secret field takes only ``${env:NAME}`` or
``${keyvault:VAULT/SECRET}`` (optionally ``/VERSION``), parsed into a `SecretRef` and resolved
later, only when a command needs the value. Errors name the accepted forms and never echo what
was written: it may be a real secret pasted by mistake.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    Field,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from reconciler.core.secrets import SecretRef

_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# Key Vault names: 3-24 letters, digits, '-'; secret names: 1-127 letters, digits, '-'
_VAULT = r"[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]"
_KV_SECRET = r"[A-Za-z0-9-]{1,127}"
ENV_REF = re.compile(rf"^\$\{{env:({_ENV_NAME})\}}$")
_KEYVAULT_REF = re.compile(
    rf"^\$\{{keyvault:({_VAULT})/({_KV_SECRET})(?:/([0-9a-fA-F]{{32}}))?\}}$"
)
_SECRET_FORMS = (
    "${env:VARIABLE} or ${keyvault:VAULT/SECRET} (optionally ${keyvault:VAULT/SECRET/VERSION})"
)
_SECRET_PATTERN = (
    rf"^\$\{{(env:{_ENV_NAME}|keyvault:{_VAULT}/{_KV_SECRET}(/[0-9a-fA-F]{{32}})?)\}}$"
)


def _parse_secret(value: Any, handler: Any) -> SecretRef:
    """A secret reference from its one written form. Errors never echo the value: it may be a
    real secret pasted by mistake."""
    if isinstance(value, SecretRef):
        return value
    text = value if isinstance(value, str) else None
    env = ENV_REF.fullmatch(text) if text else None
    if env:
        return SecretRef(source="env", name=env.group(1))
    vault = _KEYVAULT_REF.fullmatch(text) if text else None
    if vault:
        return SecretRef(
            source="keyvault", vault=vault.group(1), name=vault.group(2), version=vault.group(3)
        )
    raise PydanticCustomError("secret_reference", _secret_problem(text))


def _secret_problem(text: str | None) -> str:
    accepted = f"write {_SECRET_FORMS}"
    if text is None:
        return f"this field is a secret and takes a reference written as a string; {accepted}"
    if re.fullmatch(rf"\$\{{{_ENV_NAME}\}}", text.strip()):
        return (
            "${NAME} inserts a plain variable, but this field is a secret: secret fields take a "
            f"secret reference; {accepted}"
        )
    scheme = re.fullmatch(r"\$\{([A-Za-z_-]+):.*\}", text.strip())
    if scheme and scheme.group(1) in ("env", "keyvault"):
        return f"this {scheme.group(1)} secret reference is malformed; {accepted}"
    if scheme:
        return f"unknown secret source {scheme.group(1)!r}; {accepted}"
    if re.fullmatch(r"\$\{(env|keyvault):[^}]*", text.strip()):
        return f"this secret reference is not closed: it needs its '}}'; {accepted}"
    return f"this field is a secret and must be a reference, not a literal value; {accepted}"


Secret = Annotated[
    SecretRef,
    WrapValidator(_parse_secret),
    Field(json_schema_extra={"type": "string", "pattern": _SECRET_PATTERN}),
]
