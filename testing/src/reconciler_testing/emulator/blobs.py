"""Azure Blob storage beside the management API: the calls a blob lease lock makes.

An Azure ML workspace comes with a storage account, and reconciler's apply holds a lease on a
blob in the default datastore's container (`reconciler.providers.azureml.lock`). So that apply
against the emulator needs nothing else, the emulator answers those Blob service calls for the
default datastore's account, path-style as Azurite does
(``https://127.0.0.1:PORT/<account>/<container>/<blob>``, the ``RECONCILER_BLOB_URL`` it
prints): create a container; upload, read the properties of, and delete a blob; acquire, renew,
release and break a lease; set metadata. Status codes, ``x-ms-error-code`` values, XML error
bodies and the lease rules (a leased blob's writes need its lease id; an expired lease may be
taken by anyone; a lease's holder may renew it until someone else takes it) follow the Blob
service REST reference and Azurite, on which tests/providers/test_azure_lock.py runs the same
lock tests. Anything else is refused with 400: this is not a storage emulator. State is in
memory, like Azurite's ``--inMemoryPersistence``: leases last seconds, not across restarts.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from xml.sax.saxutils import escape

from reconciler.core.essences import DatastoreEssence, Kind
from reconciler.core.vocabulary import DEFAULT_DATASTORE
from reconciler.core.workspace import WorkspaceReader

STORAGE_AUDIENCE = "https://storage.azure.com"
META = "x-ms-meta-"


@dataclass(frozen=True)
class BlobResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class BlobError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class _Blob:
    data: bytes
    etag: str
    created: float
    modified: float
    metadata: dict[str, str] = field(default_factory=dict)
    lease_id: str | None = None
    lease_until: float | None = None  # None with a lease id: infinite
    lease_duration: int = 0
    broken: bool = False

    def leased(self, now: float) -> bool:
        """An active lease: only its holder may write or renew."""
        if self.lease_id is None or self.broken:
            return False
        return self.lease_until is None or now < self.lease_until

    def lease_state(self, now: float) -> str:
        if self.leased(now):
            return "leased"
        if self.lease_id is None:
            return "available"
        return "broken" if self.broken else "expired"


@dataclass
class BlobService:
    """The Blob service of one storage account (``account``), path-style."""

    account: str
    clock: Callable[[], float] = time.time
    _containers: dict[str, dict[str, _Blob]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _etags: int = 0

    def serves(self, path: str) -> bool:
        return path == f"/{self.account}" or path.startswith(f"/{self.account}/")

    def answer(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
        body: bytes,
    ) -> BlobResponse:  # fmt: skip
        """The answer to one request (``headers`` with lower-case names)."""
        version = headers.get("x-ms-version", "2025-01-05")
        common = {
            "x-ms-request-id": str(uuid.uuid4()),
            "x-ms-version": version,
            "Date": formatdate(usegmt=True),
        }
        if "x-ms-client-request-id" in headers:
            common["x-ms-client-request-id"] = headers["x-ms-client-request-id"]
        try:
            _authorized(headers)
            with self._lock:
                status, extra, payload = self._route(method, path, query, headers, body)
        except BlobError as exc:
            common["x-ms-error-code"] = exc.code
            text = (
                f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{exc.code}</Code>'
                f"<Message>{escape(exc.message)}\nRequestId:{common['x-ms-request-id']}\n"
                f"Time:{time.strftime('%Y-%m-%dT%H:%M:%S.0000000Z', time.gmtime())}"
                "</Message></Error>"
            )
            payload = b"" if method == "HEAD" else text.encode()
            if payload:
                common["Content-Type"] = "application/xml"
            return BlobResponse(exc.status, common, payload)
        return BlobResponse(status, {**common, **extra}, payload)

    # --- routing -----------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
        parts = path.removeprefix(f"/{self.account}").strip("/").split("/", 1)
        container = parts[0]
        blob = parts[1] if len(parts) > 1 else ""
        comp = query.get("comp", "")
        if not container:
            raise _unsupported(method, path)
        if not blob:
            if method == "PUT" and query.get("restype") == "container" and not comp:
                return self._create_container(container)
            raise _unsupported(method, path)
        if method in ("HEAD", "GET") and not comp:
            return self._properties(container, blob, method == "GET")
        if method == "PUT" and not comp:
            return self._upload(container, blob, headers, body)
        if method == "PUT" and comp == "lease":
            return self._lease(container, blob, headers)
        if method == "PUT" and comp == "metadata":
            return self._set_metadata(container, blob, headers)
        if method == "DELETE" and not comp:
            return self._delete(container, blob, headers)
        raise _unsupported(method, path + (f"?comp={comp}" if comp else ""))

    # --- operations --------------------------------------------------------------------------

    def _create_container(self, name: str) -> tuple[int, dict[str, str], bytes]:
        if name in self._containers:
            raise BlobError(
                409, "ContainerAlreadyExists", "The specified container already exists."
            )
        self._containers[name] = {}
        return 201, self._stamp(), b""

    def _properties(
        self, container: str, name: str, content: bool
    ) -> tuple[int, dict[str, str], bytes]:
        blob = self._blob(container, name)
        now = self.clock()
        headers = {
            **self._stamp(blob),
            "x-ms-creation-time": formatdate(blob.created, usegmt=True),
            "x-ms-blob-type": "BlockBlob",
            "x-ms-lease-state": blob.lease_state(now),
            "x-ms-lease-status": "locked" if blob.leased(now) else "unlocked",
            "x-ms-server-encrypted": "true",
            "x-ms-access-tier": "Hot",
            "x-ms-access-tier-inferred": "true",
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(blob.data)),
            **{META + key: value for key, value in blob.metadata.items()},
        }
        if blob.leased(now):
            headers["x-ms-lease-duration"] = "infinite" if blob.lease_until is None else "fixed"
        return 200, headers, blob.data if content else b""

    def _upload(
        self, container: str, name: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        blobs = self._container(container)
        if headers.get("x-ms-blob-type", "") != "BlockBlob":
            raise BlobError(400, "InvalidHeaderValue", "x-ms-blob-type: only BlockBlob here.")
        existing = blobs.get(name)
        if existing is not None and headers.get("if-none-match") == "*":
            raise BlobError(409, "BlobAlreadyExists", "The specified blob already exists.")
        if existing is not None:
            self._may_write(existing, headers)
        now = self.clock()
        blob = _Blob(body, self._etag(), now, now, _metadata(headers))
        if existing is not None:  # a new body keeps the blob's lease
            blob.created = existing.created
            blob.lease_id, blob.lease_until = existing.lease_id, existing.lease_until
            blob.lease_duration, blob.broken = existing.lease_duration, existing.broken
        blobs[name] = blob
        return 201, {**self._stamp(blob), "x-ms-request-server-encrypted": "true"}, b""

    def _set_metadata(
        self, container: str, name: str, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        blob = self._blob(container, name)
        self._may_write(blob, headers)
        blob.metadata = _metadata(headers)
        blob.etag, blob.modified = self._etag(), self.clock()
        return 200, {**self._stamp(blob), "x-ms-request-server-encrypted": "true"}, b""

    def _delete(
        self, container: str, name: str, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        blob = self._blob(container, name)
        self._may_write(blob, headers)
        del self._containers[container][name]
        return 202, {}, b""

    def _lease(
        self, container: str, name: str, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        blob = self._blob(container, name)
        action = headers.get("x-ms-lease-action", "")
        given = headers.get("x-ms-lease-id")
        now = self.clock()
        if action == "acquire":
            duration = _duration(headers.get("x-ms-lease-duration", ""))
            proposed = headers.get("x-ms-proposed-lease-id") or str(uuid.uuid4())
            if blob.leased(now) and blob.lease_id != proposed:
                raise BlobError(409, "LeaseAlreadyPresent", "There is already a lease present.")
            blob.lease_id, blob.lease_duration, blob.broken = proposed, duration, False
            blob.lease_until = None if duration < 0 else now + duration
            return 201, {**self._stamp(blob), "x-ms-lease-id": proposed}, b""
        if action in ("renew", "release"):
            if not given:
                raise BlobError(400, "MissingRequiredHeader", "x-ms-lease-id is required.")
            if blob.lease_id is None:
                raise BlobError(
                    409,
                    "LeaseNotPresentWithLeaseOperation",
                    "There is currently no lease on the blob.",
                )
            if blob.lease_id != given:
                raise BlobError(
                    409,
                    "LeaseIdMismatchWithLeaseOperation",
                    "The lease ID specified did not match the lease ID for the blob.",
                )
            if action == "release":
                blob.lease_id, blob.lease_until, blob.broken = None, None, False
                return 200, self._stamp(blob), b""
            if blob.broken:
                raise BlobError(409, "LeaseIsBrokenAndCannotBeRenewed", "The lease was broken.")
            if blob.lease_duration >= 0:
                blob.lease_until = now + blob.lease_duration
            return 200, {**self._stamp(blob), "x-ms-lease-id": given}, b""
        if action == "break":
            if blob.lease_id is None:
                raise BlobError(
                    409,
                    "LeaseNotPresentWithLeaseOperation",
                    "There is currently no lease on the blob.",
                )
            blob.broken = True
            return 202, {**self._stamp(blob), "x-ms-lease-time": "0"}, b""
        raise BlobError(400, "InvalidHeaderValue", f"x-ms-lease-action {action!r} is not served.")

    # --- helpers -----------------------------------------------------------------------------

    def _container(self, name: str) -> dict[str, _Blob]:
        found = self._containers.get(name)
        if found is None:
            raise BlobError(404, "ContainerNotFound", "The specified container does not exist.")
        return found

    def _blob(self, container: str, name: str) -> _Blob:
        found = self._container(container).get(name)
        if found is None:
            raise BlobError(404, "BlobNotFound", "The specified blob does not exist.")
        return found

    def _may_write(self, blob: _Blob, headers: Mapping[str, str]) -> None:
        """A leased blob is written only with its lease id; a lease id needs a lease."""
        given = headers.get("x-ms-lease-id")
        if blob.leased(self.clock()):
            if not given:
                raise BlobError(
                    412,
                    "LeaseIdMissing",
                    "There is currently a lease on the blob and no lease ID was specified in "
                    "the request.",
                )
            if given != blob.lease_id:
                raise BlobError(
                    412,
                    "LeaseIdMismatchWithBlobOperation",
                    "The lease ID specified did not match the lease ID for the blob.",
                )
        elif given:
            raise BlobError(
                412, "LeaseNotPresentWithBlobOperation", "There is currently no lease on the blob."
            )

    def _etag(self) -> str:
        self._etags += 1
        return f'"0x8DC{self._etags:013X}"'

    def _stamp(self, blob: _Blob | None = None) -> dict[str, str]:
        etag = blob.etag if blob is not None else self._etag()
        modified = blob.modified if blob is not None else self.clock()
        return {"ETag": etag, "Last-Modified": formatdate(modified, usegmt=True)}


def _metadata(headers: Mapping[str, str]) -> dict[str, str]:
    return {k[len(META) :]: v for k, v in headers.items() if k.startswith(META)}


def _duration(text: str) -> int:
    """A lease's duration: -1 (infinite) or 15 to 60 seconds, as the service allows."""
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds != -1 and not 15 <= seconds <= 60:
        raise BlobError(
            400, "InvalidHeaderValue", "x-ms-lease-duration must be -1 or between 15 and 60."
        )
    return seconds


def _authorized(headers: Mapping[str, str]) -> None:
    """A bearer token for Azure Storage, as the emulator's token endpoint (or
    `FakeCredential`) issues them; the signature is not checked (the tokens are unsigned)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise BlobError(
            401,
            "NoAuthenticationInformation",
            "Server failed to authenticate the request. Please refer to the information in the "
            "www-authenticate header.",
        )
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        claims = None
    audience = claims.get("aud") if isinstance(claims, dict) else None
    if str(audience).rstrip("/") != STORAGE_AUDIENCE:
        raise BlobError(
            401,
            "InvalidAuthenticationInfo",
            "Authentication information is not given in the correct format: the token's "
            f"audience must be {STORAGE_AUDIENCE}.",
        )


def _unsupported(method: str, what: str) -> BlobError:
    return BlobError(
        400,
        "UnsupportedHttpVerb",
        f"The emulator's Blob service answers only the calls of the apply lock, not {method} "
        f"{what}.",
    )


def default_account(workspace: WorkspaceReader) -> str:
    """The storage account of the workspace's default datastore: the one whose Blob service
    the emulator answers, as the apply lock finds it on Azure ML."""
    for resource in workspace.list_resources(Kind.DATASTORE):
        if resource.name == DEFAULT_DATASTORE and isinstance(resource.essence, DatastoreEssence):
            return str(resource.essence.account_name)
    raise RuntimeError(f"the workspace has no {DEFAULT_DATASTORE} datastore")
