"""Shared fixtures: a migrated database per test; app; clients.

HTTP and feature tests run on SQLite. The store contracts (``tests/storage``) and modules marked
``both_databases`` (concurrency) run on SQLite and again on a real PostgreSQL: that is where the
two databases can differ. PostgreSQL comes from ``STINT_TEST_POSTGRES_URL`` or the local server on
127.0.0.1:5432. Without one, the PostgreSQL cases are skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import functools
import os
import shutil
import sys
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import orjson
import pytest
from pydantic.json_schema import models_json_schema
from starlette.applications import Starlette

from stint.accounts.passwords import PasswordHashing
from stint.protocol.keys import SigningKey, signing_key_from_private_jwk
from stint.settings import Settings
from stint.storage import tables
from stint.storage.database import Database
from stint.storage.key_store import KeySealer, SqlSigningKeyStore
from stint.storage.migrate import head_revision, migrate
from stint.web.app import create_app
from tests.support.processes import stop

# One Chromium per worker for the browser tests; node-oidc-provider, an upstream of social login.
pytest_plugins = ["tests.support.chromium", "tests.support.node_provider"]

T = TypeVar("T")
POSTGRES_URL = os.environ.get(
    "STINT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# Cheap argon2id parameters keep tests fast; tests/accounts pins the production parameters.
FAST_HASHING = PasswordHashing(memory_kib=1024, time_cost=1)
PASSWORD = "a long enough passphrase"
SECRET_KEY = "test-secret-" + "x" * 40  # the app's instance secret in tests


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def app_start_work_done_once() -> Iterator[None]:
    """Work an app start repeats with the same result, done once per process.

    Each app start opens the template's keys afresh; parsing an RSA private key costs ~100 ms
    of CPU (cryptography checks it), so this process parses each key once. The parse is a pure
    function of the key: the app gets the same ``SigningKey`` it would have parsed itself.
    Likewise the OpenAPI document's JSON schemas."""
    parsed: dict[tuple[str, bytes], SigningKey] = {}

    def parse_once(jwk: dict[str, Any], alg: str, **dates: Any) -> SigningKey:
        material = (alg, orjson.dumps(jwk, option=orjson.OPT_SORT_KEYS))
        if material not in parsed:
            parsed[material] = signing_key_from_private_jwk(jwk, alg)
        return dataclasses.replace(parsed[material], **dates)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("stint.storage.key_store.signing_key_from_private_jwk", parse_once)
        patch.setattr("stint.web.api.openapi.models_json_schema", _json_schemas_once)
        yield


@functools.cache
def _json_schemas_cached(models: tuple[Any, ...], ref_template: str) -> Any:
    return models_json_schema(list(models), ref_template=ref_template)


def _json_schemas_once(models: list[Any], *, ref_template: str) -> Any:
    """The OpenAPI document's schemas, a pure function of the API's pydantic models: generated
    once per process instead of on every app start (~150 ms each)."""
    return copy.deepcopy(_json_schemas_cached(tuple(models), ref_template))


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _postgres_reachable() -> bool:
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _prepare(url: str, *, with_keys: bool) -> None:
    """Migrate the database at ``url``; ``with_keys``: also create the app's signing keys (one
    ES256, two RSA-2048) sealed under ``SECRET_KEY``, so an app start loads them instead of
    generating three keys."""
    db = Database(url)
    try:
        await migrate(db)
        if with_keys:
            await SqlSigningKeyStore(db, KeySealer(SECRET_KEY.encode())).load_or_create()
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> None:
    if not _run(_postgres_reachable()):
        if IN_CI:
            pytest.fail(f"CI=true needs PostgreSQL, and none answers at {POSTGRES_URL}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL} (set STINT_TEST_POSTGRES_URL)")


@contextmanager
def _postgres_template(with_keys: bool) -> Iterator[str]:
    name = f"stint_template_{os.getpid()}{'_keys' if with_keys else ''}"
    _run(_create_database(name))
    try:
        _run(_prepare(_database_url(name), with_keys=with_keys))
        yield name
    finally:
        _run(_drop_database(name))


@pytest.fixture(scope="session")
def postgres_template(postgres_server: None) -> Iterator[str]:
    """A freshly migrated PostgreSQL database used as the template of each test's database."""
    with _postgres_template(with_keys=False) as name:
        yield name


@pytest.fixture(scope="session")
def postgres_template_with_keys(postgres_server: None) -> Iterator[str]:
    """As ``postgres_template``, with the app's signing keys in it."""
    with _postgres_template(with_keys=True) as name:
        yield name


@dataclass
class ReusedDatabase:
    """A PostgreSQL database of this worker, copied from a template once and emptied after each
    test: DROP DATABASE forces a checkpoint (seconds on a busy machine), deleting a test's rows
    takes milliseconds. A test that left the schema changed gets a new copy of the template."""

    name: str
    template: str
    kept: list[asyncpg.Record] = dataclasses.field(default_factory=list)  # signing_keys rows
    _emptying: str = ""  # the DELETEs and sequence restarts, the same for every test

    @property
    def url(self) -> str:
        return _database_url(self.name)

    async def create(self) -> None:
        await _create_database(self.name, template=self.template)
        conn = await asyncpg.connect(_asyncpg_dsn(self.url))
        try:
            self.kept = await conn.fetch("SELECT * FROM signing_keys")
            self._emptying = await _emptying(conn)
        finally:
            await conn.close()

    async def empty(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.url))
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.name,
            )
            if await _schema_changed(conn):
                await conn.close()
                await _drop_database(self.name)
                await self.create()
                return
            async with conn.transaction():
                # One round trip; children before parents, so no foreign key is in the way.
                await conn.execute(self._emptying)
                if self.kept:
                    await conn.copy_records_to_table(
                        "signing_keys", records=self.kept, columns=list(self.kept[0].keys())
                    )
        finally:
            await conn.close()


async def _emptying(conn: asyncpg.Connection) -> str:
    """The statements that empty every table and restart every sequence of the schema."""
    sequences = await conn.fetch(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
    )
    tables_ = reversed(tables.metadata.sorted_tables)
    deletes = [f'DELETE FROM "{t.name}"' for t in tables_]  # noqa: S608 (our tables)
    restarts = [f'ALTER SEQUENCE "{name}" RESTART' for (name,) in sequences]
    return "; ".join(deletes + restarts)


async def _schema_changed(conn: asyncpg.Connection) -> bool:
    names = {
        r[0]
        for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    if names != {t.name for t in tables.metadata.sorted_tables} | {"alembic_version"}:
        return True
    return bool(await conn.fetchval("SELECT version_num FROM alembic_version") != head_revision())


@contextmanager
def _reused_database(template: str) -> Iterator[ReusedDatabase]:
    database = ReusedDatabase(f"{template}_reused", template)
    _run(database.create())
    try:
        yield database
    finally:
        _run(_drop_database(database.name))


@pytest.fixture(scope="session")
def postgres_database(postgres_template: str) -> Iterator[ReusedDatabase]:
    with _reused_database(postgres_template) as database:
        yield database


@pytest.fixture(scope="session")
def postgres_database_with_keys(postgres_template_with_keys: str) -> Iterator[ReusedDatabase]:
    with _reused_database(postgres_template_with_keys) as database:
        yield database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "stint.sqlite3"
    _run(_prepare(f"sqlite:///{path}", with_keys=False))
    return path


@pytest.fixture(scope="session")
def sqlite_template_with_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "stint.sqlite3"
    _run(_prepare(f"sqlite:///{path}", with_keys=True))
    return path


def _database_url(name: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


async def _create_database(name: str, template: str | None = None) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        suffix = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()


async def _drop_database(name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


_BOTH_DATABASES = Path(__file__).parent / "storage"
# The slowest modules start first, so that both xdist workers are busy to the end (``make pytest``
# hands whole modules to whichever worker is free, in collection order); the rest follow.
SLOWEST_FIRST = (
    "tests/test_fresh_install.py",  # builds a virtual environment from requirements/app.lock
    "tests/cluster/",  # two hosts behind nginx
    "tests/http/test_schemathesis.py",
    "tests/http/test_fuzzing.py",
    "tests/browser/test_ciba.py",  # three delivery modes, each with its own server
    "tests/interop/test_device_flow.py",  # oauthlib's and openid-client's device clients
    "tests/browser/test_social_login.py",  # two Stints and node-oidc-provider
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next(
            (i for i, p in enumerate(SLOWEST_FIRST) if item.nodeid.startswith(p)),
            len(SLOWEST_FIRST),
        )

    items.sort(key=rank)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``backend``: both databases under tests/storage and in ``both_databases`` modules, else
    SQLite; a module or test that parametrizes ``backend`` itself keeps its own list."""
    if "backend" not in metafunc.fixturenames or _parametrizes_backend(metafunc):
        return
    definitions = metafunc._arg2fixturedefs.get("backend", ())
    if definitions and definitions[-1].func.__module__ != __name__:
        return  # a module's own ``backend`` fixture with its own params
    both = metafunc.definition.get_closest_marker("both_databases") is not None or (
        _BOTH_DATABASES in metafunc.definition.path.parents
    )
    metafunc.parametrize("backend", BACKENDS if both else ["sqlite"])


def _parametrizes_backend(metafunc: pytest.Metafunc) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "backend" in names:
            return True
    return False


@pytest.fixture
def backend() -> str:
    """The database a test runs on: set by ``pytest_generate_tests``."""
    raise AssertionError("pytest_generate_tests parametrizes backend")  # pragma: no cover


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A migrated, empty database of the test's backend, removed or emptied afterwards. A test
    that starts the app (it uses ``settings``) finds the app's signing keys in it already."""
    keys = "_with_keys" if "settings" in request.fixturenames else ""
    if backend == "sqlite":
        template: Path = request.getfixturevalue(f"sqlite_template{keys}")
        path = tmp_path / "stint.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    reused: ReusedDatabase = request.getfixturevalue(f"postgres_database{keys}")
    yield reused.url
    await reused.empty()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=SECRET_KEY,
        issuer="http://testserver",
        max_body_bytes=4096,
        account_status_cache_seconds=0,
        login_backoff_base_seconds=0,
        client_cache_seconds=0,
        revocation_cache_seconds=0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings, hashing=FAST_HASHING)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def basic(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    password: str
    token: str

    @property
    def basic(self) -> dict[str, str]:
        return basic(self.username, self.password)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> Account:
    created = await client.post("/api/users", json={"username": username, "password": password})
    assert created.status_code == 201, created.text
    token = await client.get("/api/token", headers=basic(username, password))
    assert token.status_code == 200, token.text
    return Account(created.json()["id"], username, password, token.json()["token"])


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> Account:
    return await register(client, "alice")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> Account:
    return await register(client, "bob")


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status`` and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


async def make_client(app: Starlette, **spec: Any) -> tuple[str, str | None]:
    """Register an OAuth client in the app's database; returns (client_id, secret)."""
    from stint.protocol.registration import ClientSpec, new_client

    runtime = app.state.runtime
    if "grant_types" in spec:
        spec["grant_types"] = frozenset(spec["grant_types"])
    if "scopes" in spec:
        spec["scopes"] = frozenset(spec["scopes"])
    if "redirect_uris" in spec:
        spec["redirect_uris"] = tuple(spec["redirect_uris"])
    client, secret = new_client(ClientSpec(**spec), runtime.hasher, allow_http=True)
    await runtime.oauth.clients.add(client)
    return client.client_id, secret


@dataclass
class LiveServer:
    """A real `stint serve` in a subprocess, on SQLite, for clients that need sockets."""

    base_url: str
    env: dict[str, str]
    log: Path  # what the server wrote to stdout and stderr
    bin_dir: Path = Path(sys.executable).parent  # the virtual environment whose `stint` runs

    @property
    def database_url(self) -> str:
        """The server's SQLite file, for a test that changes what it stored."""
        return f"sqlite:///{Path(self.env['STINT_DATA_DIR']) / 'stint.sqlite3'}"

    def stint(self, *args: str, stdin: str | None = None) -> str:
        """Run the `stint` CLI against this server's database; returns its output.

        The CLI of this environment runs in this process (starting Python and importing Stint
        costs a second per command); another environment's runs as its own `stint`."""
        if self.bin_dir == Path(sys.executable).parent:
            return _stint_in_process(self.env, args, stdin)
        import subprocess

        result = subprocess.run(
            [str(self.bin_dir / "stint"), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"stint {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def create_user(self, username: str, password: str = PASSWORD) -> None:
        self.stint("users", "create", username, "--password", password)

    def create_client(self, name: str, *options: str) -> tuple[str, str | None]:
        """`stint clients create NAME OPTIONS...`; returns (client_id, secret or None)."""
        import re

        out = self.stint("clients", "create", name, "--allow-http", *options)
        client_id = re.search(r"client_id\s+(\S+)", out)
        secret = re.search(r"client_secret\s+(\S+)", out)
        assert client_id is not None, out
        return client_id.group(1), secret.group(1) if secret else None


def _stint_in_process(env: dict[str, str], args: tuple[str, ...], stdin: str | None) -> str:
    """`stint ARGS` with exactly ``env`` as its STINT_* settings, in a thread of its own (the
    CLI runs its own event loop; a test's, or sync Playwright's, may be running here)."""
    from typer.testing import CliRunner

    from stint.cli.main import app as cli

    settings: dict[str, str | None] = {k: None for k in os.environ if k.startswith("STINT_")}
    settings |= {k: v for k, v in env.items() if k.startswith("STINT_")}
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(
            CliRunner().invoke, cli, list(args), input=stdin, env=settings
        ).result()
    if result.exit_code != 0:
        raise AssertionError(
            f"stint {' '.join(args)} failed: {result.output}"
        ) from result.exception
    return result.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    data: Path,
    *,
    access_log: bool = False,
    bin_dir: Path | None = None,
    template: Path | None = None,
    port: int | None = None,
    **settings: str,
) -> Iterator[LiveServer]:
    """`stint serve` on SQLite in ``data``, on a free loopback port, its output in
    ``data/server.log``; killed on leaving. ``bin_dir``: the virtual environment to run it from
    (default: this one); ``template``: a migrated database with keys sealed under ``SECRET_KEY``
    to start from (default: `stint migrate` makes one); ``port``: a port chosen beforehand (a
    redirect URI registered elsewhere names it); ``settings``: more ``STINT_*`` variables."""
    import subprocess
    import time
    import urllib.request

    port = port or _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STINT_")} | {
        "STINT_DATA_DIR": str(data),
        "STINT_PORT": str(port),
        "STINT_ISSUER": f"http://127.0.0.1:{port}",
        "STINT_LOGIN_BACKOFF_BASE_SECONDS": "0",
        "STINT_REVOCATION_CACHE_SECONDS": "0",
        "STINT_CLIENT_CACHE_SECONDS": "0",
        **settings,
    }
    server = LiveServer(f"http://127.0.0.1:{port}", env, data / "server.log")
    if bin_dir is not None:
        server.bin_dir = bin_dir
    if template is None:
        server.stint("migrate")
    else:
        data.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, data / "stint.sqlite3")
        env.setdefault("STINT_SECRET_KEY", SECRET_KEY)
    log = server.log.open("w")
    options = [] if access_log else ["--no-access-log"]
    process = subprocess.Popen(
        [str(server.bin_dir / "stint"), "serve", *options],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"{server.base_url}/api/openapi.json"  # always http://127.0.0.1
                with urllib.request.urlopen(url, timeout=1):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.log.read_text()) from None
                time.sleep(0.2)
        yield server
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template_with_keys: Path
) -> Iterator[LiveServer]:
    """A migrated server on a free loopback port, shared by this worker's tests (each makes its
    own users and clients), killed when they are done."""
    with running_server(tmp_path_factory.mktemp("live"), template=sqlite_template_with_keys) as s:
        yield s
