"""Field diffs: our own FieldChange values from deepdiff, replacements marked, query layout
ignored, lists compared whole."""

from __future__ import annotations

from reconciler.core.essences import Kind
from reconciler.engine.diff import diff_specs, flatten, secret_change


def test_equal_essences_have_no_changes() -> None:
    assert diff_specs(Kind.DATASTORE, {"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 2}}) == []


def test_each_changed_leaf_is_one_field_and_a_container_forces_replacement() -> None:
    before = {"account_name": "a", "container_name": "x", "tags": {"team": "data"}}
    after = {"account_name": "a", "container_name": "y", "tags": {"team": "ml", "new": "1"}}

    changes = diff_specs(Kind.DATASTORE, before, after)

    assert [(c.path, c.before, c.after, c.forces_replacement) for c in changes] == [
        ("container_name", "x", "y", True),
        ("tags.new", None, "1", False),
        ("tags.team", "data", "ml", False),
    ]


def test_a_list_changes_as_a_whole() -> None:
    changes = diff_specs(Kind.SCHEDULE, {"hours": [1, 2]}, {"hours": [1, 3]})
    assert [(c.path, c.before, c.after) for c in changes] == [("hours", [1, 2], [1, 3])]


def test_a_query_written_differently_is_the_same_query() -> None:
    before = {"source": {"query": "SELECT a FROM t"}}
    relaid = {"source": {"query": "select a\n  from T -- comment"}}
    other = {"source": {"query": "SELECT b FROM t"}}

    assert diff_specs(Kind.IMPORT, before, relaid) == []
    assert [c.path for c in diff_specs(Kind.IMPORT, before, other)] == ["source.query"]


def test_secrets_show_as_sensitive_never_as_values() -> None:
    changed, unknown = secret_change("credentials.password"), secret_change("x", unknown=True)
    assert (changed.before, changed.after, changed.sensitive) == (
        "(sensitive)",
        "(sensitive)",
        True,
    )
    assert unknown.unknown


def test_flatten_gives_sorted_leaves_and_keeps_empty_mappings_out() -> None:
    spec = {"b": {"y": 2, "x": 1}, "a": None, "c": {}, "d": "v"}
    assert flatten(spec) == [("b.x", 1), ("b.y", 2), ("d", "v")]
