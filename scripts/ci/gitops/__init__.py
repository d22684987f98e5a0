"""reconciler's GitHub workflow logic, kept out of YAML so that tests can run it.

Standard library only (it runs on a bare runner's Python). Every text written here may quote
platform.yaml and error messages, never a secret: reconciler redacts secrets itself, and
nothing here reads one.
"""
