"""A fake `gh` for the workflow tests, run as the `gh` on the simulated runner's PATH.

It answers the `gh api` and `gh run download` calls that scripts/ci makes from the engine's
JSON state (FAKE_GH_STATE) and, like GitHub, refuses a call its token's permissions do not
cover ("Resource not accessible by integration"). Every call is logged.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

LEVEL = {"none": 0, "read": 1, "write": 2}
BOT_USER = {"login": "github-actions[bot]", "type": "Bot"}  # whoever's GITHUB_TOKEN it is


def main(args: list[str]) -> int:
    state_file = Path(os.environ["FAKE_GH_STATE"])
    with open(state_file.with_suffix(".lock"), "w") as lock:  # jobs run concurrently
        fcntl.flock(lock, fcntl.LOCK_EX)
        return locked_main(args, state_file)


def locked_main(args: list[str], state_file: Path) -> int:
    state = json.loads(state_file.read_text())
    with open(state["log"], "a") as log:
        log.write(json.dumps(args) + "\n")
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not token:
        print(
            "gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN "
            "environment variable.",
            file=sys.stderr,
        )
        return 4
    grant = state["tokens"].get(token)
    if grant is None:
        print("HTTP 401: Bad credentials", file=sys.stderr)
        return 1
    api = Api(state, grant["permissions"])
    try:
        if args[:1] == ["api"]:
            result = api.call(args[1:])
            if result is not None:
                print(json.dumps(result))
        elif args[:2] == ["run", "download"]:
            api.download(args[2:])
        else:
            print(f"gh: fake: unknown command {args}", file=sys.stderr)
            return 1
    except ApiError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    state_file.write_text(json.dumps(state, indent=1))
    return 0


class ApiError(Exception):
    pass


class Api:
    def __init__(self, state: dict[str, Any], permissions: dict[str, str]) -> None:
        self.state, self.permissions = state, permissions
        self.repo = state["repository"]

    def need(self, scope: str, level: str) -> None:
        if LEVEL[self.permissions.get(scope, "none")] < LEVEL[level]:
            raise ApiError(
                f"HTTP 403: Resource not accessible by integration (needs {scope}: {level})"
            )

    def new_id(self) -> int:
        self.state["next_id"] += 1
        return int(self.state["next_id"])

    def call(self, args: list[str]) -> Any:
        method, fields, body = "GET", {}, None
        rest = []
        i = 0
        while i < len(args):
            if args[i] == "-X":
                method = args[i + 1]
                i += 2
            elif args[i] in ("-f", "-F", "--raw-field", "--field"):
                key, value = args[i + 1].split("=", 1)
                fields[key] = value
                i += 2
            elif args[i] == "--input":
                body = json.loads(Path(args[i + 1]).read_text())
                i += 2
            elif args[i] == "--paginate":
                i += 1
            else:
                rest.append(args[i])
                i += 1
        path = rest[0]
        if "?" in path:
            path, query = path.split("?", 1)
            fields.update(dict(parse_qsl(query)))
        parts = path.strip("/").split("/")
        assert parts[:3] == ["repos", *self.repo.split("/")], path
        if body is None and method != "GET":  # `gh api -X POST -f k=v`: fields are the body
            body = dict(fields)
        return self.route(method, parts[3:], fields, body or {})

    def route(self, method: str, p: list[str], f: dict[str, str], body: dict[str, Any]) -> Any:
        pulls = self.state["pulls"]
        if p[:1] == ["commits"] and p[2:] == ["pulls"]:
            self.need("contents", "read")
            return [x for x in pulls if p[1] in (x["merge_commit_sha"], x["head"]["sha"])]
        if p == ["pulls"]:
            self.need("pull-requests", "read")
            found = [x for x in pulls if f.get("state", "open") in ("all", x["state"])]
            if "head" in f:
                found = [x for x in found if x["head"]["label"] == f["head"]]
            return found
        if p[:1] == ["pulls"] and len(p) == 2:
            self.need("pull-requests", "read")
            return next(x for x in pulls if x["number"] == int(p[1]))
        if p[:2] == ["actions", "workflows"] and p[3:] == ["runs"]:
            self.need("actions", "read")
            runs = [r for r in self.state["runs"] if r["path"].endswith("/" + p[2])]
            for key in ("head_sha", "event"):
                if key in f:
                    runs = [r for r in runs if r[key] == f[key]]
            if f.get("status") == "success":
                runs = [r for r in runs if r["conclusion"] == "success"]
            return {"total_count": len(runs), "workflow_runs": runs}
        if p[:2] == ["actions", "runs"] and len(p) == 3:
            self.need("actions", "read")
            return next(r for r in self.state["runs"] if r["id"] == int(p[2]))
        if p[:2] == ["actions", "runs"] and p[3:] in (["rerun"], ["rerun-failed-jobs"]):
            self.need("actions", "write")
            run = next(r for r in self.state["runs"] if r["id"] == int(p[2]))
            if run["status"] != "completed":
                raise ApiError("HTTP 403: This workflow is already running")
            self.state["rerun_requests"].append(
                {"run": run["id"], "failed_only": p[3] == "rerun-failed-jobs"}
            )
            return {}
        if p[:2] == ["actions", "runs"] and p[3:] == ["artifacts"]:
            self.need("actions", "read")
            found = [a for a in self.state["artifacts"] if a["workflow_run"]["id"] == int(p[2])]
            return {"total_count": len(found), "artifacts": found}
        if p == ["actions", "artifacts"]:
            self.need("actions", "read")
            found = [a for a in self.state["artifacts"] if a["name"] == f.get("name", a["name"])]
            found.sort(key=lambda a: -a["order"])  # newest first, as GitHub lists them
            return {"total_count": len(found), "artifacts": found}
        if p[:1] == ["issues"] and p[2:] == ["comments"]:
            return self.comments(method, int(p[1]), body)
        if p[:2] == ["issues", "comments"] and method == "PATCH":
            comment = next(c for c in self.state["comments"] if c["id"] == int(p[2]))
            self.need_comment_write(comment["issue"])
            comment["body"] = body["body"]
            return comment
        if p[:1] == ["issues"] and p[2:3] == ["labels"] and len(p) == 4 and method == "DELETE":
            self.need_comment_write(int(p[1]))  # issues or pull-requests: write
            pull = next(x for x in pulls if x["number"] == int(p[1]))
            name = unquote(p[3])
            if name not in [label["name"] for label in pull["labels"]]:
                raise ApiError("HTTP 404: Label does not exist")
            pull["labels"] = [x for x in pull["labels"] if x["name"] != name]
            return pull["labels"]
        if p == ["issues"]:
            return self.issues(method, f, body)
        if p[:1] == ["issues"] and len(p) == 2 and method == "PATCH":
            self.need("issues", "write")
            issue = next(i for i in self.state["issues"] if i["number"] == int(p[1]))
            issue.update({k: v for k, v in body.items() if k in ("body", "state", "title")})
            return issue
        if p[:1] == ["environments"] and len(p) == 2 and method == "GET":
            self.need("actions", "read")
            found = self.state.get("environments", {}).get(p[1])
            if found is None:
                raise ApiError("HTTP 404: Not Found")
            return found
        raise ApiError(f"gh: fake: no route for {method} {'/'.join(p)}")

    def need_comment_write(self, number: int) -> None:
        if any(x["number"] == number for x in self.state["pulls"]):
            if LEVEL[self.permissions.get("issues", "none")] < 2:
                self.need("pull-requests", "write")
        else:
            self.need("issues", "write")

    def comments(self, method: str, number: int, body: dict[str, Any]) -> Any:
        if method == "POST":
            self.need_comment_write(number)
            comment = {"id": self.new_id(), "issue": number, "body": body["body"], "user": BOT_USER}
            self.state["comments"].append(comment)
            return comment
        self.need(
            "pull-requests"
            if any(x["number"] == number for x in self.state["pulls"])
            else "issues",
            "read",
        )
        return [c for c in self.state["comments"] if c["issue"] == number]

    def issues(self, method: str, f: dict[str, str], body: dict[str, Any]) -> Any:
        if method == "POST":
            self.need("issues", "write")
            number = 1000 + len(self.state["issues"]) + 1
            issue = {
                "number": number,
                "title": body["title"],
                "body": body.get("body", ""),
                "state": "open",
                "labels": [{"name": n} for n in body.get("labels", [])],
                "user": BOT_USER,
                "html_url": f"https://github.com/{self.repo}/issues/{number}",
            }
            self.state["issues"].append(issue)
            return issue
        self.need("issues", "read")
        found = [i for i in self.state["issues"] if f.get("state", "open") in ("all", i["state"])]
        if "labels" in f:
            found = [i for i in found if f["labels"] in [x["name"] for x in i["labels"]]]
        return found

    def download(self, args: list[str]) -> None:
        self.need("actions", "read")
        run_id = args[0]
        opts = dict(zip(args[1::2], args[2::2], strict=False))
        artifact = next(
            (
                a
                for a in self.state["artifacts"]
                if str(a["workflow_run"]["id"]) == run_id and a["name"] == opts["--name"]
            ),
            None,
        )
        if artifact is None or artifact["expired"]:
            raise ApiError("no valid artifacts found to download")
        source = Path(self.state["files"]) / run_id / opts["--name"]
        dest = Path(opts.get("--dir", "."))
        dest.mkdir(parents=True, exist_ok=True)
        for file in source.iterdir():
            shutil.copy(file, dest / file.name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
