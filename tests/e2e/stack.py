"""Starting Cartwheel's real processes on loopback ports, for the e2e tests and `make bench`.

- `EmbeddedServer`: `python -m web.serve` (waitress + in-process workers) on SQLite.
- `ProductionStack`: gunicorn (gthread, as `make serve`), `dramatiq workers.app`
  (as `make worker`) and `python -m workers.scheduler` (as `make scheduler`) on
  PostgreSQL + Redis, optionally with localstripe and its webhook registered.
- `Http`: a small `requests` client that returns `(status, json, headers)`.

Every process runs in its own session (process group), logs to a file, and is
stopped with SIGTERM then SIGKILL. Nothing here listens beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("E2E_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379")
WEBHOOK_SECRET = "whsec_cartwheel_e2e_secret"
SECRET_KEY = "e2e-secret-key-0123456789-0123456789-abcdef"
METRICS_SCRAPE_TOKEN = "e2e-metrics-scrape-token-0123456789"  # Prometheus's `Authorization: Bearer` token


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: "Proc | None" = None) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`; raises RuntimeError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def wait_http(url: str, timeout: float = 60.0, proc: "Proc | None" = None) -> None:
    """Wait until GET `url` answers 200; raises RuntimeError with the process log's tail."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:300]}"
        except requests.RequestException as exc:
            last = repr(exc)
        time.sleep(0.2)
    tail = proc.tail() if proc else ""
    raise RuntimeError(f"{url} not ready after {timeout}s ({last})\n{tail}")


# The production shape can give the model-scoring queues their own worker (`make worker-ml`),
# so the core workers never load numpy/scikit-learn and the geodata.
ML_QUEUES = ("fraud", "ml")
CORE_QUEUES = ("checkout", "payments", "notifications", "bulk", "maintenance")

def kill_pids(pids: list[int]) -> None:
    """SIGKILL each of `pids` that still exists."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def log_tail(path, label: str, n: int) -> str:
    """The last `n` lines of the log file at `path`, each prefixed `  [label] `; '' when unreadable."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except (OSError, TypeError):
        return ""
    return "\n".join(f"  [{label}] {line}" for line in lines[-n:])


class Proc:
    """A child process in its own process group, logging to `log_path`."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name = name
        self.argv = argv
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, n: int = 40) -> str:
        return log_tail(self.log_path, self.name, n)

    def pids(self) -> list[int]:
        """This process and every descendant (from /proc)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the process group and every descendant (a supervised dramatiq group too), at
        once (no clean-up runs)."""
        descendants = self.pids()[1:]
        self.signal_group(signal.SIGKILL)
        kill_pids(descendants)
        self.popen.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 35.0) -> None:
        """SIGTERM the process group; SIGKILL it after `timeout` seconds. Descendants in other
        process groups (a supervised dramatiq group, `workers.supervise`) are SIGKILLed at the end."""
        descendants = self.pids()[1:]
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Stray children (e.g. dramatiq's fork processes) go too.
        self.signal_group(signal.SIGKILL)
        kill_pids(descendants)
        self._log.close()


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident set size (VmHWM) of `pid` in MB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# ---------------------------------------------------------------------------
# Services: PostgreSQL, Redis, localstripe


def postgres_available(admin_url: str = PG_ADMIN_URL) -> bool:
    try:
        import psycopg2

        psycopg2.connect(admin_url, connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 - absent is all we need to know
        return False


def redis_available(url: str = REDIS_BASE_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def recreate_database(name: str, admin_url: str = PG_ADMIN_URL) -> str:
    """Drop and create database `name` (ending its sessions first); returns its URL."""
    _admin_sql(admin_url, name, create=True)
    parsed = urlparse(admin_url)
    return parsed._replace(path=f"/{name}").geturl()


def drop_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    """Drop database `name` (ending its sessions first)."""
    _admin_sql(admin_url, name, create=False)


def _admin_sql(admin_url: str, name: str, create: bool) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            if create:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def start_localstripe(log_dir: Path) -> tuple[Proc, str]:
    """Start localstripe on a free loopback port; returns (process, base URL)."""
    exe = BIN / "localstripe"
    if not exe.exists():
        raise RuntimeError("localstripe is not installed (pip install -r requirements-dev.txt)")
    port = free_port()
    proc = Proc("localstripe", [str(exe), "--port", str(port), "--from-scratch"], dict(os.environ), log_dir)
    wait_port(port, proc=proc)
    return proc, f"http://127.0.0.1:{port}"


def register_localstripe_webhook(base: str, url: str, secret: str = WEBHOOK_SECRET) -> None:
    """Make localstripe sign and POST its events to `url`."""
    response = requests.post(f"{base}/_config/webhooks/cartwheel", data={"url": url, "secret": secret}, timeout=10)
    response.raise_for_status()


# ---------------------------------------------------------------------------
# The two shapes


class EmbeddedServer:
    """`python -m web.serve` (what `make run` starts) on a SQLite file."""

    def __init__(self, workdir: Path, extra_env: dict | None = None):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PORT": str(self.port),
                    "DATABASE_URL": f"sqlite:///{self.workdir / 'cartwheel.db'}",
                    "BROKER_URL": "stub://", "REDIS_URL": "",
                    "MODEL_DIR": str(self.workdir / "models"), "MEDIA_DIR": str(self.workdir / "media"),
                    "CARTWHEEL_ENV": "embedded",
                    "RATE_LIMITS_ENABLED": "false",  # the e2e flows and schemathesis send bursts on purpose
                    **(extra_env or {})}
        for name in ("TEST_DATABASE_URL", "TEST_BROKER_URL"):
            self.env.pop(name, None)
        self.proc: Proc | None = None

    def start(self, timeout: float = 90.0) -> "EmbeddedServer":
        self.proc = Proc("web.serve", [sys.executable, "-m", "web.serve"], self.env, self.workdir)
        wait_http(f"{self.base}/api/v1/health", timeout=timeout, proc=self.proc)
        return self

    def stop(self) -> int | None:
        if self.proc is not None:
            self.proc.stop()
            return self.proc.popen.returncode
        return None

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        return run_flask(self.env, *args)


def run_flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`flask --app web ARGS` with `env`; raises CalledProcessError with its output."""
    return subprocess.run([str(BIN / "flask"), "--app", "web", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)


# Rate limits stay on in the production shape (in Redis, shared by the gunicorn workers), so high
# that the flows and the fault tests' load never meet them, except the API-key limit: nothing
# sends x-api-key but tests/e2e/test_rate_limits.py, which runs into it.
E2E_RATE_LIMITS = {"RATE_LIMITS_ENABLED": "true", "RATE_LIMIT_DEFAULT": "100000 per minute",
                   "RATE_LIMIT_AUTH": "100000 per minute", "RATE_LIMIT_WRITES": "100000 per minute",
                   "RATE_LIMIT_API_KEY": "20 per minute"}


class ProductionStack:
    """gunicorn + dramatiq workers + scheduler on PostgreSQL + Redis (+ localstripe)."""

    def __init__(self, workdir: Path, database: str, redis_db: int, *, stripe: bool = True,
                 web_workers: int = 2, web_threads: int = 8, worker_processes: int = 1, worker_threads: int = 8,
                 split_ml_worker: bool = False,
                 extra_env: dict | None = None, pg_admin_url: str | None = None,
                 redis_base_url: str | None = None):
        """`pg_admin_url` / `redis_base_url` choose the PostgreSQL server (an admin URL, as
        PG_ADMIN_URL) and Redis server (`redis://host:port`, as REDIS_BASE_URL) the stack uses;
        by default the shared ones (E2E_PG_ADMIN_URL, E2E_REDIS_URL)."""
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database = database
        self.pg_admin_url = pg_admin_url or PG_ADMIN_URL
        self.redis_url = f"{(redis_base_url or REDIS_BASE_URL).rstrip('/')}/{redis_db}"
        self.stripe = stripe
        self.web_workers, self.web_threads = web_workers, web_threads
        self.worker_processes, self.worker_threads = worker_processes, worker_threads
        self.split_ml_worker = split_ml_worker
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.env: dict = {}
        self.api: Proc | None = None
        self.workers: list[Proc] = []
        self.scheduler: Proc | None = None
        self.localstripe: Proc | None = None
        self.stripe_base = ""
        self._worker_count = 0

    def start(self) -> "ProductionStack":
        database_url = recreate_database(self.database, self.pg_admin_url)
        flush_redis(self.redis_url)
        self.env = {**os.environ, "CARTWHEEL_ENV": "production", "DATABASE_URL": database_url,
                    "BROKER_URL": self.redis_url, "REDIS_URL": self.redis_url, "SECRET_KEY": SECRET_KEY,
                    "MODEL_DIR": str(self.workdir / "models"), "MEDIA_DIR": str(self.workdir / "media"),
                    "PORT": str(self.port), "dramatiq_worker_timeout": "100",  # as `make worker`
                    "EMAIL_PROVIDER": "console", "SMS_PROVIDER": "console",  # no SendGrid/Twilio here
                    # Prometheus multiprocess mode, as `make serve` / `make worker`: every process of this
                    # stack counts into one folder, and a scrape of any gunicorn worker sums them all.
                    "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "prometheus"),
                    "METRICS_SCRAPE_TOKEN": METRICS_SCRAPE_TOKEN,
                    **E2E_RATE_LIMITS, **self.extra_env}
        for name in ("TEST_DATABASE_URL", "TEST_BROKER_URL", "STRIPE_SECRET_KEY", "STRIPE_API_BASE"):
            self.env.pop(name, None)
        if self.stripe:
            self.localstripe, self.stripe_base = start_localstripe(self.workdir)
            self.env.update({"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": self.stripe_base,
                             "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET})
        run_flask(self.env, "db", "migrate")  # `make migrate`
        self.scheduler = Proc("scheduler", [sys.executable, "-m", "workers.scheduler"], self.env, self.workdir)
        if self.split_ml_worker:  # as `make worker WORKER_QUEUES="$(CORE_QUEUES)"` + `make worker-ml`
            self.start_worker(queues=CORE_QUEUES)
            self.start_worker(queues=ML_QUEUES, processes=1, threads=2)
        else:
            self.start_worker()
        self.api = Proc("gunicorn", [str(BIN / "gunicorn"), "-k", "gthread", "--workers", str(self.web_workers),
                                     "--threads", str(self.web_threads), "--bind", f"127.0.0.1:{self.port}",
                                     "web:create_app()"], self.env, self.workdir)
        wait_http(f"{self.base}/api/v1/health", timeout=60, proc=self.api)
        if self.stripe:
            register_localstripe_webhook(self.stripe_base, f"{self.base}/api/v1/webhooks/stripe")
        return self

    def start_worker(self, queues: tuple = (), processes: int | None = None, threads: int | None = None) -> Proc:
        """Start one more supervised `dramatiq workers.app` (as `make worker`: under
        `workers.supervise`, which restarts the group when it exits; `queues` limits it, as
        `--queues`) and wait for it to boot."""
        self._worker_count += 1
        processes = processes or self.worker_processes
        argv = [sys.executable, "-m", "workers.supervise", "--", str(BIN / "dramatiq"), "workers.app",
                "--processes", str(processes), "--threads", str(threads or self.worker_threads)]
        if queues:
            argv += ["--queues", *queues]
        # Console log lines for dramatiq (the fault tests find each worker process's pid in its
        # `[PID n] ... Worker process is ready` line); gunicorn and the scheduler log JSON, as in production.
        env = {**self.env, "LOG_FORMAT": self.extra_env.get("LOG_FORMAT", "console")}
        proc = Proc(f"worker-{self._worker_count}", argv, env, self.workdir)
        self.workers.append(proc)
        deadline = time.monotonic() + 60
        while proc.log_path.read_text(errors="replace").count("Worker process is ready") < processes:
            if not proc.alive():
                raise RuntimeError(f"dramatiq exited with {proc.popen.returncode}:\n{proc.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"dramatiq not ready after 60s:\n{proc.tail()}")
            time.sleep(0.1)
        return proc

    def create_admin(self, email: str, password: str) -> None:
        run_flask(self.env, "users", "create-admin", email, "--password", password)

    def processes(self) -> list[Proc]:
        return [p for p in [self.api, *self.workers, self.scheduler, self.localstripe] if p is not None]

    def logs(self) -> str:
        return "\n".join(p.tail() for p in self.processes())

    def stop(self) -> None:
        for proc in [self.api, *self.workers, self.scheduler, self.localstripe]:
            if proc is not None:
                proc.stop()


# ---------------------------------------------------------------------------
# HTTP


class Http:
    """`requests` against one server: every call returns `(status, json or None, headers)`."""

    def __init__(self, base: str, timeout: float = 30.0):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def call(self, method: str, path: str, json=None, token: str | None = None, headers: dict | None = None,
             **kwargs):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        response = self.session.request(method, self.base + path, json=json, headers=hdrs, timeout=self.timeout,
                                        **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body, response.headers

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def wait_job(self, job_id: str, token: str | None = None, timeout: float = 30.0,
                 states=("succeeded", "failed", "cancelled")) -> dict:
        """Poll GET /api/v1/jobs/{id} until it reaches one of `states`; returns the job."""
        deadline = time.monotonic() + timeout
        while True:
            status, body, _ = self.get(f"/api/v1/jobs/{job_id}", token=token)
            assert status == 200, (status, body)
            job = body["data"]
            if job["state"] in states:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['state']} after {timeout}s: {job}")
            time.sleep(0.05)
