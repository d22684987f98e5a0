"""Microsoft's published az ml YAML (``tests/fixtures/aml_yaml``) pasted into platform.yaml:
what validates, and what is refused with a located error that says how to write it. That the
accepted ones also plan, apply and converge on both providers is
`tests/providers/test_published_yaml.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import desired_state
from reconciler.core.errors import ConfigError
from tests.providers.test_published_yaml import REFUSED
from tests.samples import all_files, pasted, sample

FILES = [f for section in ("connections", "datastores") for f in all_files(section)]
REFUSALS = {
    "azure_ai_services-aad.learn.yml": (
        "platform.yaml:2:3: connections.myazai_apk: ai_services_resource_id is required: "
        "azure-ai-ml cannot read an AI Services connection without it"
    ),
    "azure_ai_services-api_key.learn.yml": (
        "platform.yaml:2:3: connections.myazai_ei: ai_services_resource_id is required"
    ),
    "azure_sql_db-sql_auth.legacy.yml": (
        "platform.yaml:4:5: connections.test_ws_conn_azuresqldb.type: unknown connection type; "
        "expected one of: git, python_feed, container_registry"
    ),
    "container_registry-managed_identity.yml": (
        "platform.yaml:8:18: not valid YAML: mapping values are not allowed in this context"
    ),
    "datastore-one_lake-none.yml": "platform.yaml:6:79: not valid YAML: did not find expected key",
}


def validate(tmp_path: Path, text: str) -> str | None:
    (tmp_path / "platform.yaml").write_text(text)
    (tmp_path / "environments").mkdir(exist_ok=True)
    (tmp_path / "environments/x.yaml").write_text("{}\n")
    try:
        desired_state(tmp_path, "x", with_secrets=False)
    except ConfigError as error:
        return str(error)
    return None


def test_every_refusal_is_listed_with_its_message() -> None:
    assert sorted(REFUSALS) == sorted(REFUSED)


@pytest.mark.parametrize("file", FILES)
def test_published_yaml_validates_or_is_refused_where_it_is_wrong(
    tmp_path: Path, file: str
) -> None:
    problem = validate(tmp_path, pasted([sample(file)]))
    if file in REFUSALS:
        assert problem is not None and REFUSALS[file] in problem, problem
        assert "sample-secret" not in problem
    else:
        assert problem is None, problem


def test_translated_shapes_mean_what_azure_ai_ml_means(tmp_path: Path) -> None:
    """Blob credentials without ``type``, ``sql_auth``, ``serverless_model``, Learn's OneLake
    ``one_lake_artifact`` and ``azure_speech`` become what az ml's own shapes make."""
    text = pasted(
        [
            sample("azure_blob-account_key.learn.yml"),
            sample("azure_blob-sas.learn.yml"),
            sample("azure_sql_db-sql_auth.howto.yml", "sql_howto"),
            sample("serverless-api_key.learn.yml"),
            sample("azure_one_lake-service_principal.learn.yml"),
        ]
    )
    text += "  speech:\n    type: azure_speech\n    endpoint: https://s.example\n"
    (tmp_path / "platform.yaml").write_text(text)
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments/x.yaml").write_text("{}\n")
    state = desired_state(tmp_path, "x", with_secrets=False)
    found = {r.name: r.essence.to_dict() for r in state.resources}
    assert found["my_blobstore_ak"]["credentials"] == {"type": "account_key"}
    assert found["my_blobstore_sas"]["credentials"] == {"type": "sas"}
    assert found["sql_howto"]["credentials"] == {
        "type": "username_password",
        "username": "<username>",
    }
    assert found["my_maas_apk"]["type"] == "serverless"
    assert found["myonelake_sp"]["type"] == "azure_one_lake"
    assert found["myonelake_sp"]["target"] == (
        "https://contoso-onelake.dfs.fabric.microsoft.com/XXXXXXXXXX/XXXXXXXXXX.Lakehouse"
    )
    assert found["speech"]["type"] == "azure_speech_services"
    secrets = {r.name: sorted(r.secrets) for r in state.resources}
    assert secrets["my_blobstore_ak"] == ["credentials.account_key"]
    assert secrets["my_blobstore_sas"] == ["credentials.sas_token"]
    assert secrets["my_maas_apk"] == ["credentials.key"]


def test_a_secret_written_as_a_literal_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """Published YAML holds its secrets in clear (``api_key: "3232"``); platform.yaml takes
    only references, so pasting one unchanged is refused at the line, the value not shown."""
    item = sample("api_key-api_key.learn.yml")
    problem = validate(tmp_path, pasted([item]).replace("${env:SAMPLE_SECRET}", '"3232"'))
    assert problem is not None
    assert "platform.yaml:6:5: connections.just_api.api_key: this field is a secret" in problem
    assert "3232" not in problem


def test_a_placeholder_guid_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """azureml-examples' ADLS files keep XXXXXXXX-XXXX-... for the tenant and client; the REST
    API takes only GUIDs there (format: uuid), so reconciler refuses it before the service."""
    item = sample("datastore-azure_data_lake_gen2-service_principal.yml")
    text = pasted([item]).replace("00000000-0000-0000-0000-0000000000aa", "XXXXXXXX-XXXX-XXXX")
    problem = validate(tmp_path, text)
    assert problem is not None
    assert "datastores.adls_gen2_example.credentials.tenant_id: this is not a GUID" in problem
    assert "platform.yaml:11:7" in problem
