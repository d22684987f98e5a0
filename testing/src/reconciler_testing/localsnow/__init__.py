"""A local stand-in for GloboRealty's Snowflake account.

The worked example imports house sales from ``GLOBOREALTY.REAL_ESTATE.RAW``. Nobody should need a
Snowflake account to try it, run the tests or benchmark the import runner, so this package starts
a fakesnow server (Snowflake's wire protocol over HTTP, backed by DuckDB) on localhost, enforces a
demo user and password on it, and fills the table with deterministic synthetic sales.

The constants below are what a desired-state file or a test needs to point at that server.
"""

from __future__ import annotations

DATABASE = "GLOBOREALTY"
SCHEMA = "REAL_ESTATE"
TABLE = "RAW"
QUALIFIED_TABLE = f"{DATABASE}.{SCHEMA}.{TABLE}"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_STATE_DIR = ".reconcile/snowflake"
DEFAULT_SEED_ROWS = 10_000

# The only login the local server accepts. Demo values, not secrets: they guard nothing but
# synthetic data, and exist so that "a wrong password makes apply fail" can be tested locally.
DEMO_USERNAME = "globorealty_loader"
DEMO_PASSWORD = "localsnow-demo"
DEMO_WAREHOUSE = "LOCAL_WH"


def jdbc_target(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The connection target of the local server, in the form a Snowflake connection uses."""
    return (
        f"jdbc:snowflake://{host}:{port}/?db={DATABASE}&schema={SCHEMA}"
        f"&warehouse={DEMO_WAREHOUSE}&protocol=http"
    )
