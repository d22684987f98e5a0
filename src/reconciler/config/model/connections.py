"""Workspace connections (``az ml connection``): Snowflake, Azure SQL, S3, and their credentials."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.config.model.fields import (
    Lifecycle,
    Strict,
    Text,
    UserTags,
    lifecycle_field,
)
from reconciler.config.model.secretrefs import Secret


class UsernamePassword(Strict):
    type: Literal["username_password"] = Field(description="Username and password.")
    username: Text = Field(description="User name.")
    password: Secret = Field(description="Password, as a secret reference: ${env:NAME}.")


class AccessKey(Strict):
    type: Literal["access_key"] = Field(description="Access key (S3).")
    access_key_id: Text = Field(description="Access key ID.")
    secret_access_key: Secret = Field(description="Secret access key: ${env:NAME}.")


class _Connection(Strict):
    target: Text = Field(description="Where the connection points (a JDBC URL, server, bucket).")
    tags: UserTags = Field(
        default_factory=dict, description="Free-form tags (connection metadata)."
    )
    lifecycle: Lifecycle = lifecycle_field()


class SnowflakeConnection(_Connection):
    """A Snowflake database (``az ml connection`` type ``snowflake``)."""

    type: Literal["snowflake"]
    credentials: UsernamePassword = Field(description="How to log in.")

    @field_validator("target")
    @classmethod
    def _jdbc(cls, target: str) -> str:
        if not target.startswith("jdbc:snowflake://"):
            raise PydanticCustomError(
                "bad_target",
                "a snowflake target is a JDBC URL: jdbc:snowflake://<account>.snowflakecomputing"
                ".com/?db=<database>&warehouse=<warehouse>&role=<role>",
            )
        return target


class AzureSqlDbConnection(_Connection):
    """An Azure SQL database (``az ml connection`` type ``azure_sql_db``)."""

    type: Literal["azure_sql_db"]
    credentials: UsernamePassword = Field(description="How to log in.")


class S3Connection(_Connection):
    """An Amazon S3 bucket (``az ml connection`` type ``s3``)."""

    type: Literal["s3"]
    credentials: AccessKey = Field(description="How to authenticate.")


Connection = Annotated[
    SnowflakeConnection | AzureSqlDbConnection | S3Connection, Field(discriminator="type")
]
