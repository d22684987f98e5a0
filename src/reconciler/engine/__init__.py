"""The engine: plan, review and apply, over values and protocols only.

`operations` is what the CLI (and tests) call; it composes the planner (which reads through a
`WorkspaceReader`), the review of a saved plan, apply (which writes through a `Workspace`),
source checks and export. The engine never imports a provider or the config loader: it is
handed a `DesiredState` and a workspace.
"""
