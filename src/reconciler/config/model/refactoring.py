"""``moved:`` and ``removed:``: renames and the end of management, the GitOps way (Terraform's
``moved`` and ``removed`` blocks). Each item names resources by address, ``<kind>.<name>``;
whether those exist in the declaration is checked across sections (`reconciler.config.refactoring`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from reconciler.config.model.fields import Strict

MOVABLE = ("connection", "datastore", "import")
REMOVABLE = ("connection", "datastore", "import", "schedule")


def _address(kinds: tuple[str, ...]) -> AfterValidator:
    def check(text: str) -> str:
        kind, dot, name = text.partition(".")
        if not dot or kind not in kinds or not name:
            raise PydanticCustomError(
                "address",
                "{text!r} is not an address: write <kind>.<name>, kind one of {kinds} "
                "(e.g. import.raw_house_data)",
                {"text": text, "kinds": ", ".join(kinds)},
            )
        return text

    return AfterValidator(check)


MovableAddress = Annotated[str, Field(max_length=300), _address(MOVABLE)]
RemovableAddress = Annotated[str, Field(max_length=300), _address(REMOVABLE)]


class Moved(Strict):
    """A rename: the resource declared at ``from`` is now declared at ``to``."""

    from_: MovableAddress = Field(
        alias="from",
        description="The address it had, e.g. import.house_sales (no longer declared).",
    )
    to: MovableAddress = Field(
        description="The address it has now, e.g. import.house_sales_all (declared). An import "
        "keeps its data (its versions are registered under the new name, nothing re-imported); "
        "a connection or datastore, which Azure ML cannot rename, is created under the new "
        "name, its dependents re-pointed, then the old one deleted.",
    )


class RemovedLifecycle(Strict):
    destroy: bool = Field(description="false: leave it in place; true: delete it.")


class Removed(Strict):
    """Stop declaring a resource: leave it in place unmanaged (``destroy: false``), or delete
    it (``destroy: true``)."""

    from_: RemovableAddress = Field(
        alias="from", description="The address to stop managing, e.g. datastore.lake."
    )
    destroy: bool | None = Field(
        None,
        description="false: drop reconciler's tags, secret hashes and provenance and leave it "
        "in place; true: delete it (an import's data asset is archived). Also accepted as "
        "lifecycle: {destroy: ...}, as in Terraform.",
    )
    lifecycle: RemovedLifecycle | None = Field(None, description="Terraform's spelling.")

    @model_validator(mode="after")
    def _one_destroy(self) -> Removed:
        if self.destroy is not None and self.lifecycle is not None:
            raise PydanticCustomError(
                "destroy_twice", "write destroy once: at the top of the item or in lifecycle"
            )
        if self.destroy is None and self.lifecycle is None:
            raise PydanticCustomError(
                "destroy_missing",
                "say what happens to it: destroy: false leaves it in place, unmanaged; "
                "destroy: true deletes it",
            )
        return self

    @property
    def destroys(self) -> bool:
        if self.destroy is not None:
            return self.destroy
        return bool(self.lifecycle and self.lifecycle.destroy)


def refactoring_field(description: str) -> Any:
    return Field(default_factory=list, description=description)
