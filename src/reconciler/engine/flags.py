"""Whether a saved plan asks for only what the trusted side expects.

A saved plan carries its own scope (``prune``, ``--target``, ``--replace``) and environment,
and ``reconcile apply FILE`` honours them: whoever can write the file chooses them. In a
pipeline that applies a file someone else produced, the flags are refused unless they are
exactly what the applying side's own settings and inputs say (``apply
--expect-flags-from-settings``). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core.plan import Plan


def unexpected_flags(
    saved: Plan,
    *,
    environment: str,
    prune: bool,
    targets: Sequence[str] = (),
    replace: Sequence[str] = (),
) -> list[str]:
    """What ``saved`` asks for beyond what is expected, in words (empty: nothing)."""
    found = []
    if saved.environment != environment:
        found.append(f"environment {saved.environment!r} (expected {environment!r})")
    if saved.prune != prune:
        found.append(f"prune {str(saved.prune).lower()} (settings.prune is {str(prune).lower()})")
    if tuple(sorted(saved.targets)) != tuple(sorted(targets)):
        found.append("targets " + (", ".join(saved.targets) or "none") + _expected(targets))
    if tuple(sorted(saved.replace)) != tuple(sorted(replace)):
        found.append("replace " + (", ".join(saved.replace) or "none") + _expected(replace))
    return found


def _expected(values: Sequence[str]) -> str:
    return f" (expected {', '.join(values) or 'none'})"
