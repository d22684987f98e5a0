"""Our comments on pull requests, found only where the bot wrote them.

A comment is ours when GitHub says the bot wrote it and it starts with our marker, or, for the
review job's plan comments, when it is the one its record names. Anyone can write the marker
into a comment of their own, and a pull request's own workflow writes as the same bot, so a
person's comment is never touched, and a bot comment that carries our marker without being the
recorded one is labelled as not the review job's.
"""

from __future__ import annotations

from typing import Any

from reconciler.gitops.github import BOT, api, send
from reconciler.render.safe import fit

COMMENT_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters
NOT_OURS = (
    "> [!CAUTION]\n> **Not posted by the review job.** This comment carries reconciler's marker "
    "but is not the one the review job recorded: a workflow other than the review job wrote "
    "it. Do not rely on it.\n\n"
)


def by_bot(comment: dict[str, Any]) -> bool:
    return str((comment.get("user") or {}).get("login")) == BOT


def bot_comments(number: int) -> list[dict[str, Any]]:
    found = api(f"issues/{number}/comments", per_page="100") or []
    return [c for c in found if isinstance(c, dict) and by_bot(c)]


def fitted(body: str) -> str:
    return fit(body, "", COMMENT_LIMIT, "> [!NOTE]\n> Cut here; see the workflow run.\n")


def upsert(number: int, marker: str, body: str) -> int:
    """Create or update the bot's comment that starts with ``marker``; its id."""
    if not body.startswith(marker):
        body = f"{marker}\n{body}"
    found = next(
        (c for c in bot_comments(number) if str(c.get("body", "")).startswith(marker)), None
    )
    if found is not None:
        send("PATCH", f"issues/comments/{found['id']}", {"body": fitted(body)})
        return int(found["id"])
    created = send("POST", f"issues/{number}/comments", {"body": fitted(body)})
    return int(created["id"])


def post_recorded(number: int, marker: str, body: str, recorded: int | None) -> int:
    """The review job's plan comment: update the comment its previous record names (if the bot
    still has it), else post a new one; then label every other bot comment holding
    ``marker`` as not ours. Its id (for the new record)."""
    comments = bot_comments(number)
    mine = next((c for c in comments if recorded is not None and c.get("id") == recorded), None)
    if mine is not None:
        send("PATCH", f"issues/comments/{mine['id']}", {"body": fitted(body)})
        ours = int(mine["id"])
    else:
        ours = int(send("POST", f"issues/{number}/comments", {"body": fitted(body)})["id"])
    for comment in comments:
        text = str(comment.get("body", ""))
        if comment.get("id") != ours and marker in text and not text.startswith(NOT_OURS):
            send("PATCH", f"issues/comments/{comment['id']}", {"body": fitted(NOT_OURS + text)})
    return ours
