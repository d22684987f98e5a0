"""`reconcile setup azure` prints every role apply needs, for each environment's own applier
only (the set-up itself runs on the simulated GitHub in tests/workflows/test_consumer.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from reconciler.gitops.setup import script

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "config-repo"


def printed(tmp_path: Path, vault: bool = False) -> str:
    project = tmp_path / "repo"
    shutil.copytree(EXAMPLE, project)
    if vault:
        platform = project / "platform.yaml"
        platform.write_text(
            platform.read_text().replace(
                "account_key: ${env:STORAGE_ACCOUNT_KEY}", "account_key: ${keyvault:kv-ml/key}"
            )
        )
    return script(project, "contoso/ml-config", "globorealty/reconciler", "v1", "contoso/leads")


def test_each_environment_s_applier_gets_its_own_roles_and_one_federated_subject(
    tmp_path: Path,
) -> None:
    text = printed(tmp_path)
    for env in ("dev", "staging", "prod"):
        var = env.upper()
        roles = re.findall(
            rf'--assignee "\$APPLIER_{var}" --role "([^"]+)" --scope "([^"]+)"', text
        )
        assert roles == [
            ("reconciler applier", f"$WS_{var}"),
            ("Storage Blob Data Contributor", f"$LOCK_{var}"),
        ]
        (subject,) = re.findall(rf'fed "\$APPLIER_{var}" \S+ "\$\(sub (\S+) (\S+)\)"', text)
        assert subject == (env, "reconciler-apply-env.yml")
    assert "Key Vault Secrets User" not in text
    assert '"include_claim_keys": ["repo", "context", "job_workflow_ref"]' in text
    assert 'gh secret set SNOWFLAKE_PASSWORD --env "prod"' in text


def test_an_applier_may_read_the_vaults_platform_yaml_reads(tmp_path: Path) -> None:
    text = printed(tmp_path, vault=True)
    for env in ("DEV", "STAGING", "PROD"):
        assert (
            f'--assignee "$APPLIER_{env}" --role "Key Vault Secrets User" '
            '--scope "$(az keyvault show -n kv-ml --query id -o tsv)"' in text
        )


def test_only_environments_after_the_first_stage_wait_for_reviewers(tmp_path: Path) -> None:
    text = printed(tmp_path)
    gates = re.findall(r'environments/([\w.-]+)" --input - >/dev/null <<JSON\n(.*)\n', text)
    reviewed = {name for name, body in gates if '"reviewers"' in body}
    assert reviewed - {f"{env}-policy" for env in ("dev", "staging", "prod")} == {
        "staging",
        "prod",
        "dev-sources",
        "staging-sources",
        "prod-sources",
    }


def test_a_soft_policy_failure_s_override_waits_for_the_policy_owners(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    shutil.copytree(EXAMPLE, project)
    text = script(
        project,
        "contoso/ml-config",
        "globorealty/reconciler",
        "v1",
        "contoso/leads",
        "contoso/policy",
    )
    assert 'POLICY_OWNERS=$(gh api "orgs/contoso/teams/policy" --jq .id)' in text
    for env in ("dev", "staging", "prod"):
        body = re.search(rf'environments/{env}-policy" --input - >/dev/null <<JSON\n(.*)\n', text)
        assert body is not None
        assert '"reviewers": [{"type": "Team", "id": $POLICY_OWNERS}]' in body.group(1)
        assert '"prevent_self_review": true' in body.group(1)
        assert f"environments/{env}-policy/deployment-branch-policies" in text  # main only


def test_the_source_check_s_password_is_the_checked_connection_s_and_the_key_stays_put(
    tmp_path: Path,
) -> None:
    """The example's secrets sort RECONCILER_HMAC_KEY first: the source-check hint names the
    password of the connection gitops.sources lists, and the hash key goes to the applier's
    environment only."""
    text = printed(tmp_path)
    for env in ("dev", "staging", "prod"):
        hints = re.findall(rf'gh secret set (\w+) --env "{env}-sources"', text)
        assert hints == ["SNOWFLAKE_PASSWORD"]
        assert f'gh secret set RECONCILER_HMAC_KEY --env "{env}"' in text
    assert not re.search(r'RECONCILER_HMAC_KEY --env "[\w-]+-(plan|sources|policy)"', text)
