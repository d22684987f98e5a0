"""The GitHub flow, as product code: what the reusable workflows' jobs run.

Each job of the published workflows (``.github/workflows/reconciler-*.yml``) runs one
``reconcile gitops`` command, and that command is a function here: plan a pull request
(`pulls`), review and bind its plan from the default branch's code (`review`), prepare, apply
and re-apply after an environment's gate (`prepare`, `applying`), report drift (`drift`), check
a pull request's sources without its code (`sources`), say which environments run where
(`matrix`), and, beside the flow, `doctor` and the Azure set-up (`setup`). It works on the
core values (`Plan`, `Review`) and the renderers; GitHub is reached through the `gh` command
(`github`). A layer above engine, render, providers and config, below the CLI.

Nothing here reads a secret's value except to pass it, by name, to the reconcile process that
needs it (`context`); everything written for people goes through the renderers' escaping.
"""
