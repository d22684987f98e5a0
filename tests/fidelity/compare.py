"""Field-by-field comparison of a recorded answer with the emulator's, after `normalise`.

Rules (the README's "Normalisation" section says the same in prose):

* Status codes must be equal. When they differ the bodies are not diffed (an error body against
  a resource body is noise); the emulator's error message is shown instead.
* Every field the recording has must be in the emulator's answer with an equal value. Fields
  only the emulator has are listed as *extra* but not counted: the recordings come from older
  api-versions, which return fewer fields than the ones azure-ai-ml 1.35 asks for.
* Presence only (value not compared): ``systemData.createdBy``/``lastModifiedBy`` and their
  ``*ByType`` (who called), operation-status ``startTime``/``endTime``, job ``services.*``
  endpoints (host-specific URLs), and for the four system datastores their storage account,
  container/file-share names and secret values (generated per workspace).
* Error answers: only ``error.code``, ``error.message`` and the inner error code are compared
  (the two real error shapes, account-rp's and managementfrontend's, carry them differently).
* Resource lists (``value``) are matched by ``name``; items the recording shows but that the
  recorded test neither created nor read (other tests' leftovers in a shared workspace) are
  dropped as *foreign*; missing and unexpected items count, and so does the order.
* ``systemData: null`` and connection ``metadata: null`` in old api-versions mean "not
  reported": they are compared as absent (newer recordings show the object).
* Headers compared: ``Location`` (path only), ``Azure-AsyncOperation`` (path),
  ``x-ms-async-operation-timeout`` and ``x-ms-response-type``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MISSING = "<missing>"
PRESENT = "<present>"
COMPARED_HEADERS = (
    "location",
    "azure-asyncoperation",
    "x-ms-async-operation-timeout",
    "x-ms-response-type",
)
_WHO = frozenset({"createdBy", "lastModifiedBy", "createdByType", "lastModifiedByType"})
_GENERATED_STORE_FIELDS = frozenset({"accountName", "containerName", "fileShareName"})
_SECRET_FIELDS = frozenset({"key", "sasToken", "clientSecret"})


@dataclass(frozen=True)
class Difference:
    path: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        expected, actual = repr(self.expected), repr(self.actual)
        pairs = enumerate(zip(expected, actual, strict=False))
        common = next((i for i, (x, y) in pairs if x != y), min(len(expected), len(actual)))
        if common > 40:  # long values that differ at the end (paths): show where they differ
            expected, actual = "..." + expected[common - 20 :], "..." + actual[common - 20 :]
        return f"{self.path}: recorded {_short(expected)}, emulator {_short(actual)}"


def _short(text: str) -> str:
    return text if len(text) <= 90 else text[:87] + "..."


@dataclass(frozen=True)
class Context:
    """What the compared answer is, for the rules that depend on it."""

    ambient: frozenset[str]  # names whose generated fields are compared for presence only
    operation: bool = False  # an operation-status answer
    generated_secret: bool = False  # listSecrets of a system datastore: its key is generated


def compare_headers(
    expected: dict[str, str], actual: dict[str, str], canon: Callable[[str], str]
) -> list[Difference]:
    """The headers that drive a client, URLs by their canonical path."""
    exp = {k.lower(): v for k, v in expected.items()}
    act = {k.lower(): v for k, v in actual.items()}
    out = []
    for name in COMPARED_HEADERS:
        e, a = exp.get(name), act.get(name)
        if name in ("location", "azure-asyncoperation"):
            e = canon(urlsplit(e).path) if e else e
            a = canon(urlsplit(a).path) if a else a
        if e != a:
            out.append(Difference(f"header {name}", e or MISSING, a or MISSING))
    return out


def compare_bodies(expected: Any, actual: Any, ctx: Context) -> tuple[list[Difference], list[str]]:
    """(counted differences, extra fields only the emulator has)."""
    if _is_error(expected) or _is_error(actual):
        return _compare_errors(expected, actual), []
    diffs: list[Difference] = []
    extra: list[str] = []
    _walk(expected, actual, "", ctx, diffs, extra, False)
    return diffs, extra


def _is_error(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


def error_summary(body: Any) -> tuple[Any, Any, Any]:
    """(code, message, inner code) of either real error shape."""
    if not _is_error(body):
        return MISSING, MISSING, MISSING
    error = body["error"]
    inner = (error.get("innerError") or {}).get("code")
    for info in error.get("additionalInfo") or []:
        if isinstance(info, dict) and info.get("type") == "InnerError":
            inner = ((info.get("info") or {}).get("value") or {}).get("code")
    return error.get("code"), error.get("message"), inner


def _compare_errors(expected: Any, actual: Any) -> list[Difference]:
    names = ("error.code", "error.message", "error.innerError.code")
    pairs = zip(names, error_summary(expected), error_summary(actual), strict=True)
    return [Difference(n, e, a) for n, e, a in pairs if e != a]


def _walk(
    expected: Any,
    actual: Any,
    path: str,
    ctx: Context,
    diffs: list[Difference],
    extra: list[str],
    ambient: bool,
) -> None:
    """``ambient``: inside one of the system datastores."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        _walk_dict(expected, actual, path, ctx, diffs, extra, ambient)
    elif isinstance(expected, list) and isinstance(actual, list):
        _walk_list(expected, actual, path, ctx, diffs, extra)
    elif expected != actual:
        diffs.append(Difference(path or "body", expected, actual))


def _walk_dict(
    expected: dict[str, Any],
    actual: dict[str, Any],
    path: str,
    ctx: Context,
    diffs: list[Difference],
    extra: list[str],
    ambient: bool,
) -> None:
    name = expected.get("name")
    ambient = ambient or (isinstance(name, str) and name in ctx.ambient)
    for key, value in expected.items():
        where = f"{path}.{key}" if path else key
        if value is None and key == "systemData":
            continue  # old api-versions did not report it
        if value is None and key == "metadata" and actual.get(key) in (None, {}):
            continue  # old api-versions answered null where newer ones answer {}
        if key not in actual:
            diffs.append(Difference(where, _short_value(value), MISSING))
            continue
        if _presence_only(key, path, ambient, ctx):
            if (value is None) != (actual[key] is None):
                diffs.append(Difference(where, _presence(value), _presence(actual[key])))
            continue
        _walk(value, actual[key], where, ctx, diffs, extra, ambient)
    extra.extend(f"{path}.{k}" if path else k for k in actual if k not in expected)


def _presence_only(key: str, path: str, ambient: bool, ctx: Context) -> bool:
    if path.endswith("systemData") and key in _WHO:
        return True
    if ctx.operation and key in ("startTime", "endTime"):
        return True
    if ".services." in f".{path}." and key == "endpoint":
        return True
    if ambient and key in _GENERATED_STORE_FIELDS:
        return True
    return ctx.generated_secret and not path and key in _SECRET_FIELDS


def _presence(value: Any) -> str:
    return MISSING if value is None else PRESENT


def _short_value(value: Any) -> Any:
    if isinstance(value, dict | list) and len(repr(value)) > 90:
        return f"<{type(value).__name__} of {len(value)}>"
    return value


def _walk_list(
    expected: list[Any],
    actual: list[Any],
    path: str,
    ctx: Context,
    diffs: list[Difference],
    extra: list[str],
) -> None:
    if _named_or_empty(expected) and _named_or_empty(actual) and (expected or actual):
        exp = {item["name"]: item for item in expected}
        act = {item["name"]: item for item in actual}
        for name in exp:
            if name not in act:
                diffs.append(Difference(f"{path}[{name}]", PRESENT, MISSING))
            else:
                _walk(exp[name], act[name], f"{path}[{name}]", ctx, diffs, extra, False)
        diffs.extend(Difference(f"{path}[{n}]", MISSING, PRESENT) for n in act if n not in exp)
        order_e = [n for n in exp if n in act]
        order_a = [n for n in act if n in exp]
        if order_e != order_a:
            diffs.append(Difference(f"{path} order", order_e, order_a))
        return
    if len(expected) != len(actual):
        diffs.append(Difference(f"{path} length", len(expected), len(actual)))
        return
    for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
        _walk(e, a, f"{path}[{i}]", ctx, diffs, extra, False)


def _named_or_empty(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)
