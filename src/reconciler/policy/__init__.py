"""Policies as code: a team's Rego files (conftest's conventions) evaluated in-process on every
plan and apply, and their unit tests. Reads the policy folders and evaluates; never reads or
writes a workspace. `rego` is the only module that touches the Rego engine."""

from reconciler.policy.evaluate import PolicySet
from reconciler.policy.files import PolicyFiles, read_policies
from reconciler.policy.tests import TestResult, run_tests

__all__ = ["PolicyFiles", "PolicySet", "TestResult", "read_policies", "run_tests"]
