"""Run a file-system import from an S3 connection: copy the objects under a folder, as files.

This is the `ImportRunner` behind ``source_type: file_system`` imports when reconciler runs them
itself (embedded workspace, emulator). Like an Azure ML file-system import it copies the files
as they are into the staging folder the provider hands over, keeping their paths relative to
the source folder; the asset is a ``uri_folder``.

The connection target names the bucket (see `reconciler.imports.s3target`); the import's
``source.path`` is a folder inside it (relative to the target's own folder, if it has one):

* ``listings`` or ``listings/`` - every object under ``listings/``, at any depth;
* ``listings/*.csv`` - a trailing glob (``*``, ``?``, ``[..]``, matched against the path below
  the last plain folder, ``*`` crossing ``/``): Azure ML's examples write ``folder/*``;
* ``listings/manifest.json`` - one object, when no folder of that name exists;
* empty or ``/`` - the whole bucket.

Objects stream to disk in ``chunk_bytes`` pieces, ``workers`` at a time, and the listing is read
a page at a time, so memory stays bounded whatever the object sizes and counts. Progress is the
number of files copied, and the job's row count is the number of files. Folder markers (keys
ending in ``/``) are skipped. A key that would land outside the staging folder (``..``, an
absolute path, see `reconciler.core.names.inside`) fails the whole import, before anything is
registered.

Every failure becomes `ImportFailed` naming the import and the cause: no such bucket, a rejected
access key or secret, access denied, no objects under the path, an unreachable endpoint. The
secret key is only given to the SDK; any text taken from an SDK error is scrubbed of it.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.errors import ImportFailed
from reconciler.core.names import PathEscape, inside, unsafe_path_reason
from reconciler.imports.base import ImportRequest, ImportResult, ProgressCallback, SourceSize
from reconciler.imports.s3target import InvalidS3Target, S3Target, parse_s3_target

GLOB_CHARACTERS = frozenset("*?[")
CHUNK_BYTES = 1 << 20
WORKERS = 8
AUTH_REJECTED = {
    "InvalidAccessKeyId": "access key id",
    "SignatureDoesNotMatch": "secret access key",
    "InvalidToken": "credentials",
    "ExpiredToken": "credentials",
}
DENIED = {"AccessDenied", "AllAccessDisabled", "AccountProblem", "403"}


@dataclass(frozen=True)
class _Source:
    """What to copy: the objects of ``target.bucket`` under ``prefix`` whose path relative to
    ``prefix`` matches ``pattern`` (all when None); ``single`` is the key to try as one file
    when the folder turns out empty."""

    target: S3Target
    prefix: str  # "" (the whole bucket) or ending in "/"
    pattern: str | None
    single: str | None

    def url(self) -> str:
        return self.target.url(self.prefix + (self.pattern or ""))


class S3ImportRunner:
    """Copies the files under an S3 folder. ``connect_timeout`` bounds how long an unreachable
    endpoint takes to report; ``read_timeout`` is per socket read, not per object."""

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        attempts: int = 3,
        chunk_bytes: int = CHUNK_BYTES,
        workers: int = WORKERS,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._attempts = attempts
        self._chunk_bytes = chunk_bytes
        self._workers = workers
        self._session: Any = None
        self._lock = threading.Lock()

    def run(
        self, request: ImportRequest, staging_dir: Path, progress: ProgressCallback | None = None
    ) -> ImportResult:
        source = _source(request)
        s3 = self._client(request, source.target)
        files = self._copy(s3, source, request, staging_dir, progress)
        if not files:
            raise _empty(request, source)
        return ImportResult(rows=len(files), files=tuple(sorted(files)))

    def check(self, request: ImportRequest) -> SourceSize | None:
        """The bucket is reachable with these keys, the path holds a file, and it is readable;
        how many files and bytes the import would copy (the listing, a page at a time)."""
        source = _source(request)
        s3 = self._client(request, source.target)
        first: str | None = None
        files = size = 0
        with closing(_objects(s3, source, request)) as objects:
            for key, _relative, length in objects:
                first = first or key
                files, size = files + 1, size + length
        if first is None:
            raise _empty(request, source)
        with _translated(request, source, first):
            s3.head_object(Bucket=source.target.bucket, Key=first)
        return SourceSize(files=files, bytes=size)

    def _copy(
        self,
        s3: Any,
        source: _Source,
        request: ImportRequest,
        staging_dir: Path,
        progress: ProgressCallback | None,
    ) -> list[str]:
        """Download the objects ``workers`` at a time (small files are latency-bound), with at
        most two per worker listed ahead. On a failure the downloads not started are dropped
        and the running ones finish before it propagates: nothing writes into the staging
        folder after the provider was told to delete it."""
        files: list[str] = []
        pending: dict[Future[None], str] = {}

        def collect(return_when: str) -> None:
            done, _ = wait(pending, return_when=return_when)
            for future in done:
                future.result()  # a download's ImportFailed surfaces here
                files.append(pending.pop(future))
                if progress is not None:
                    progress(len(files))

        with ThreadPoolExecutor(self._workers, thread_name_prefix="s3-import") as pool:
            try:
                for key, relative, _size in _objects(s3, source, request):
                    destination = _destination(staging_dir, key, relative, request)
                    args = (s3, source, key, destination, self._chunk_bytes, request)
                    pending[pool.submit(_download, *args)] = relative
                    if len(pending) >= 2 * self._workers:
                        collect(FIRST_COMPLETED)
                collect(ALL_COMPLETED)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return files

    def _client(self, request: ImportRequest, target: S3Target) -> Any:
        """An S3 client with this connection's keys. Clients come from one botocore session,
        which loads the service model once (about 0.4 s); creating them is locked, as a session
        is not thread-safe, while the clients themselves are."""
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
        from botocore.session import get_session

        key_id = request.credentials.get("access_key_id", "")
        secret = request.credentials.get("secret_access_key", "")
        if not key_id or not secret:
            raise ImportFailed(
                f"import {request.asset_name!r}: connection {request.connection_name!r} has no "
                "access key id or secret access key",
                hint="an s3 connection needs credentials: {type: access_key, access_key_id, "
                "secret_access_key: ${env:NAME}}",
            )
        config = Config(
            connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout,
            retries={"mode": "standard", "total_max_attempts": self._attempts},
            max_pool_connections=self._workers + 2,
            s3={"addressing_style": "path" if target.custom_endpoint else "auto"},
            # the connection target says where the bucket is; AWS_ENDPOINT_URL* must not
            ignore_configured_endpoint_urls=True,
            user_agent_extra="reconciler",
        )
        try:
            with self._lock:
                if self._session is None:
                    self._session = get_session()
                return self._session.create_client(
                    "s3",
                    region_name=target.region,
                    endpoint_url=target.endpoint_url,
                    aws_access_key_id=key_id,
                    aws_secret_access_key=secret,
                    config=config,
                )
        except BotoCoreError as exc:
            raise ImportFailed(
                f"import {request.asset_name!r}: could not set up the S3 client for connection "
                f"{request.connection_name!r}: {request.redact(str(exc))}"
            ) from None


def _source(request: ImportRequest) -> _Source:
    name = request.asset_name
    if request.source_type != "file_system":
        raise ImportFailed(
            f"import {name!r}: {request.source_type} sources are not supported by the local "
            "S3 import runner"
        )
    if request.connection_type != "s3":
        raise ImportFailed(
            f"import {name!r}: file_system imports from {request.connection_type} connections "
            "are not supported by the local import runner yet (only s3)",
            hint="run this import in an Azure ML workspace, or use an s3 connection",
        )
    if request.asset_type != "uri_folder":
        raise ImportFailed(
            f"import {name!r}: a file_system import lands files as a uri_folder, not a "
            f"{request.asset_type}",
            hint="drop the import's type (it defaults to uri_folder) or set type: uri_folder",
        )
    try:
        target = parse_s3_target(request.connection_target)
    except InvalidS3Target as exc:
        raise ImportFailed(
            f"import {name!r}: connection {request.connection_name!r} has an invalid target: {exc}",
            hint="e.g. s3://<bucket> or http://127.0.0.1:<port>/<bucket> for a local server",
        ) from None
    return _selection(target, (request.path or "").strip(), request)


def _selection(target: S3Target, path: str, request: ImportRequest) -> _Source:
    """Split the source path into the folder to list and the glob below it, if any."""
    segments = [s for s in path.strip("/").split("/") if s] if path.strip("/") else []
    reason = unsafe_path_reason(path.strip("/")) if segments else None
    if reason:
        raise ImportFailed(
            f"import {request.asset_name!r}: the source path {path!r} is not usable: {reason}"
        )
    plain = next((i for i, s in enumerate(segments) if GLOB_CHARACTERS & set(s)), len(segments))
    folder = "/".join([target.prefix, *segments[:plain]] if target.prefix else segments[:plain])
    pattern = "/".join(segments[plain:]) or None
    single = folder if folder and pattern is None and not path.endswith("/") else None
    return _Source(target, f"{folder}/" if folder else "", pattern, single)


def _objects(
    s3: Any, source: _Source, request: ImportRequest
) -> Generator[tuple[str, str, int], None, None]:
    """(key, path relative to the source folder, size in bytes) of each object to copy, a page
    at a time.

    An object and a folder of one name (``a`` and ``a/b``) cannot both be files: S3 lists keys
    in order, so the objects that are string prefixes of the current key form a stack (at most
    one per character of the key) and the clash is found here, the same way every time."""
    found = False
    bucket = source.target.bucket
    prefixes: list[str] = []  # earlier keys that are string prefixes of the current one
    with _translated(request, source):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=source.prefix)
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"]
                relative = key[len(source.prefix) :]
                if not relative or key.endswith("/"):
                    continue  # a folder marker
                if source.pattern and not fnmatch.fnmatchcase(relative, source.pattern):
                    continue
                while prefixes and not relative.startswith(prefixes[-1]):
                    prefixes.pop()
                for earlier in prefixes:
                    if relative.startswith(earlier + "/"):
                        raise _folder_clash(request, source, earlier, relative)
                prefixes.append(relative)
                found = True
                yield key, relative, int(item.get("Size") or 0)
        if found or source.single is None:
            return
        # no folder of that name: the path may name one object
        page = s3.list_objects_v2(Bucket=bucket, Prefix=source.single, MaxKeys=1)
        contents = page.get("Contents") or [{}]
        if contents[0].get("Key") == source.single:
            size = int(contents[0].get("Size") or 0)
            yield source.single, source.single.rsplit("/", 1)[-1], size


def _folder_clash(request: ImportRequest, source: _Source, file: str, nested: str) -> ImportFailed:
    return ImportFailed(
        f"import {request.asset_name!r}: object {source.prefix + file!r} and object "
        f"{source.prefix + nested!r} cannot both be copied: the first would have to be a file "
        "and a folder at once; nothing was imported",
        hint="rename or remove one of the two objects in the bucket, or narrow the source path",
    )


def _destination(staging_dir: Path, key: str, relative: str, request: ImportRequest) -> Path:
    try:
        return inside(staging_dir, relative)
    except PathEscape as exc:
        raise ImportFailed(
            f"import {request.asset_name!r}: object {key!r} cannot be copied into the import's "
            f"folder ({exc}); nothing was imported",
            hint="rename or remove the object in the bucket, or narrow the source path",
        ) from None


def _download(
    s3: Any, source: _Source, key: str, destination: Path, chunk: int, request: ImportRequest
) -> None:
    """Stream one object to ``destination``; never overwrite (two keys, one file: a failure)."""
    with _translated(request, source, key):
        body = s3.get_object(Bucket=source.target.bucket, Key=key)["Body"]
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            with destination.open("xb") as out:
                for piece in body.iter_chunks(chunk):
                    out.write(piece)
        except OSError as exc:
            raise ImportFailed(
                f"import {request.asset_name!r}: could not write object {key!r} into the "
                f"import's folder: {exc.strerror or exc}",
                hint="an object and a folder of the same name (a and a/b) cannot both be files",
            ) from None
        finally:
            body.close()


def _empty(request: ImportRequest, source: _Source) -> ImportFailed:
    hint = "an import must produce data; the source path is a folder inside the bucket"
    first = (request.path or "").strip("/").split("/", 1)[0]
    if first == source.target.bucket:
        hint = f"the path is read inside bucket {first!r} already: drop {first + '/'!r} from it"
    return ImportFailed(
        f"import {request.asset_name!r}: no files under {source.url()} "
        f"(connection {request.connection_name!r})",
        hint=hint,
    )


@contextmanager
def _translated(request: ImportRequest, source: _Source, key: str | None = None) -> Iterator[None]:
    """Turns the SDK's errors inside the block into `ImportFailed` naming the cause."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        raise _client_error(exc, request, source, key) from request.cause(exc)
    except BotoCoreError as exc:
        raise _transport_error(exc, request, source, key) from request.cause(exc)


def _client_error(
    exc: Any, request: ImportRequest, source: _Source, key: str | None
) -> ImportFailed:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    name, connection, bucket = request.asset_name, request.connection_name, source.target.bucket
    key_id = request.credentials.get("access_key_id", "")
    if code == "NoSuchBucket":
        return ImportFailed(
            f"import {name!r}: bucket {bucket!r} does not exist at {_where(source.target)} "
            f"(connection {connection!r})",
            hint="check the bucket in the connection's target",
        )
    if code in AUTH_REJECTED:
        what = AUTH_REJECTED[code]
        return ImportFailed(
            f"import {name!r}: S3 rejected the {what} of connection {connection!r} "
            f"(access key id {key_id!r}: {code})",
            hint=f"check the {what.replace(' ', '_')} the connection's credentials resolve to",
        )
    if code in DENIED:
        where = source.target.url(key) if key else source.url()
        return ImportFailed(
            f"import {name!r}: access denied to {where} for access key id {key_id!r} "
            f"(connection {connection!r})",
            hint="the key needs s3:ListBucket on the bucket and s3:GetObject on its objects",
        )
    if code in ("NoSuchKey", "404") and key:
        return ImportFailed(f"import {name!r}: object {key!r} disappeared during the import")
    if code in ("PermanentRedirect", "AuthorizationHeaderMalformed"):
        return ImportFailed(
            f"import {name!r}: bucket {bucket!r} is in another region than the connection "
            f"target says ({code})",
            hint="name the region in the target: https://<bucket>.s3.<region>.amazonaws.com",
        )
    message = request.redact(str(error.get("Message") or exc))
    return ImportFailed(f"import {name!r}: S3 answered {code or 'an error'}: {message}")


def _transport_error(
    exc: Exception, request: ImportRequest, source: _Source, key: str | None
) -> ImportFailed:
    from botocore.exceptions import (
        ConnectionClosedError,
        EndpointConnectionError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )

    reason = request.redact(str(exc))
    if key and isinstance(exc, IncompleteReadError | ResponseStreamingError | ReadTimeoutError):
        return ImportFailed(
            f"import {request.asset_name!r}: the download of object {key!r} broke off: {reason}",
            hint="run apply again; the version is only registered after every file arrived",
        )
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError | ReadTimeoutError):
        return ImportFailed(
            f"import {request.asset_name!r}: could not reach S3 at {_where(source.target)} "
            f"through connection {request.connection_name!r}: {reason}",
            hint="check that the server in the connection target is up and reachable",
        )
    return ImportFailed(f"import {request.asset_name!r}: the S3 client failed: {reason}")


def _where(target: S3Target) -> str:
    if target.endpoint_url:
        return target.endpoint_url
    return f"AWS ({target.region})" if target.region else "AWS"
