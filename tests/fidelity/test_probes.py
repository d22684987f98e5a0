"""Behaviour the recordings show through an endpoint azure-ai-ml 1.35 no longer calls.

The recorded SDK (0.0.139) found a data asset's latest version with
``GET .../versions?$orderBy=createdtime desc&$top=1``; 1.35 reads the container's
``latestVersion`` instead (research notes, section 2). The replay checks the first; these probes
ask the second the same question. A probe of a known gap is a strict xfail: when the emulator
is fixed it starts passing, fails as XPASS, and the marker has to go (GAPS.md says which); the
one probe here ([G10], ``latest``) passes since the container's ``latestVersion`` became the
version created last.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from reconciler_testing.emulator import Emulator
from tests.fidelity.normalise import Target, rescope
from tests.fidelity.recording import PUBLIC, load
from tests.fidelity.replay import RG, SUB, WS, send

LATEST = PUBLIC / "dataset/e2etests/test_data.pyTestDatatest_data_get_latest_label.json"


def test_latest_version_is_the_most_recently_created_one() -> None:
    recording = load(LATEST)
    puts = [e for e in recording.entries if e.method == "PUT" and "/data/" in e.path]
    lists = [e for e in recording.entries if "$top=1" in e.uri]
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(
            Path(tmp), subscription_id=SUB, resource_group=RG, workspace_name=WS, tls=False
        ) as emulator,
    ):
        target = Target(emulator.base_url, SUB, RG, WS)
        container = emulator.workspace_url + "/data/test_31849407453?api-version=x"
        latest = []
        for put in puts:  # foo, bar, baz, foobar, in this order
            url = rescope(put.uri, recording.scope, target)
            assert send("PUT", url, put.request_body).status == 201
            latest.append(send("GET", container, None).body["properties"]["latestVersion"])

    recorded = [e.body["value"][0]["name"] for e in lists]
    assert recorded == ["foo", "bar", "baz", "foobar"]
    assert latest == recorded
