"""Private PostgreSQL and Redis servers for fault tests: restarting them never touches the
machine's shared servers (127.0.0.1:5432, 127.0.0.1:6379) that other tests use at the same time.

- `PrivatePostgres`: a throwaway cluster (`initdb` into a temporary directory, trust auth,
  listening only on 127.0.0.1 at a free port, fsync off, small buffers), started and stopped
  with `pg_ctl`. As root, the server runs as the `postgres` user (`runuser`).
- `PrivateRedis`: `redis-server` as a child process on 127.0.0.1 at a free port, with no
  persistence at all (`--save "" --appendonly no`): a restart loses every queued message.

Both keep their port across restarts (clients reconnect to the same URL) and remove their
temporary directory in `cleanup()`. `available()` tells whether the binaries are installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e.stack import free_port, log_tail

POSTGRES_ROOT = Path("/usr/lib/postgresql")


def _postgres_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, or None."""
    if not POSTGRES_ROOT.is_dir():
        return None
    versions = []
    for entry in POSTGRES_ROOT.iterdir():
        bindir = entry / "bin"
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            try:
                versions.append((tuple(int(p) for p in entry.name.split(".")), bindir))
            except ValueError:
                continue
    return max(versions)[1] if versions else None


def _wait(condition, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll `condition()` until true; raises RuntimeError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} after {timeout}s")
        time.sleep(interval)


def outage(stop, start, downtime_seconds: float, on_down=None) -> tuple[float, float]:
    """`stop()`, call `on_down()` (if given), stay down `downtime_seconds` in all, then `start()`.
    Returns the `time.monotonic()` instants (down, up)."""
    stop()
    down = time.monotonic()
    if on_down is not None:
        on_down()
    time.sleep(max(0.0, down + downtime_seconds - time.monotonic()))  # the outage itself
    start()
    return down, time.monotonic()


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1:`port` (trust auth, user `postgres`).

    `start()` runs initdb the first time; `stop(mode)` / `restart(downtime_seconds, mode)` use
    `pg_ctl -m fast|immediate` (immediate: no clean shutdown, like a crash); `cleanup()` stops
    the server and removes its directory.
    """

    def __init__(self, shared_buffers: str = "32MB", max_connections: int = 200):
        self.bindir = _postgres_bindir()
        self.port = free_port()
        self.shared_buffers = shared_buffers
        self.max_connections = max_connections
        self.base: Path | None = None
        self._initialised = False

    @staticmethod
    def available() -> bool:
        """Whether initdb and pg_ctl are installed (and, as root, a `postgres` user exists)."""
        if _postgres_bindir() is None:
            return False
        if os.geteuid() == 0:
            import pwd

            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return False
        return True

    @property
    def admin_url(self) -> str:
        """The URL of the `postgres` database as the superuser `postgres`."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_path(self) -> Path:
        return self.base / "postgres.log"

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a PostgreSQL binary (as `postgres` when we are root); raises RuntimeError with its output."""
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd="/")
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                               f"{self.tail()}")
        return done

    def _initdb(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="cartwheel-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        settings = {
            "listen_addresses": "'127.0.0.1'", "port": str(self.port),
            "unix_socket_directories": f"'{self.base}'", "fsync": "off", "synchronous_commit": "off",
            "full_page_writes": "off", "shared_buffers": self.shared_buffers,
            "max_connections": str(self.max_connections), "log_min_messages": "warning",
        }
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# cartwheel private test cluster\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self._initialised = True

    def accepting(self) -> bool:
        """Whether the server accepts a connection and answers a query right now."""
        import psycopg2

        try:
            conn = psycopg2.connect(self.admin_url, connect_timeout=1)
        except psycopg2.Error:
            return False
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False
        finally:
            conn.close()

    def start(self, timeout: float = 60.0) -> "PrivatePostgres":
        """initdb (first call only), then start the server and wait up to `timeout` seconds
        until it answers queries."""
        if self.bindir is None:
            raise RuntimeError(f"no PostgreSQL server binaries under {POSTGRES_ROOT}")
        if not self._initialised:
            self._initdb()
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-w", "-t", str(int(timeout)),
                  "start", timeout=timeout + 10)
        _wait(self.accepting, timeout, f"PostgreSQL on port {self.port} not accepting queries")
        return self

    def running(self) -> bool:
        """Whether `pg_ctl status` finds the server running."""
        if not self._initialised:
            return False
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "status", timeout=30)
            return True
        except RuntimeError:
            return False

    def stop(self, mode: str = "fast", timeout: float = 60.0) -> None:
        """Stop the server: `mode` fast (sessions ended, clean shutdown) or immediate (a crash)."""
        if not self.running():
            return
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(int(timeout)), "stop",
                  timeout=timeout + 10)

    def restart(self, downtime_seconds: float, mode: str = "fast", on_down=None) -> tuple[float, float]:
        """Stop the server, call `on_down()` (if given), keep it down `downtime_seconds` in all,
        start it again and wait until it answers. Returns the `time.monotonic()` instants (down, up)."""
        return outage(lambda: self.stop(mode), self.start, downtime_seconds, on_down)

    def tail(self, n: int = 40) -> str:
        """The last `n` lines of the server log, prefixed `[postgres]`."""
        return log_tail(self.log_path, "postgres", n)

    def cleanup(self) -> None:
        """Stop the server (immediately; SIGKILL of the postmaster if pg_ctl fails) and remove
        its directory."""
        if self.base is None:
            return
        try:
            self.stop(mode="immediate")
        except Exception:  # noqa: BLE001 - kill what pg_ctl could not stop
            pid_file = self.data_dir / "postmaster.pid"
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None
        self._initialised = False


class PrivateRedis:
    """`redis-server` on 127.0.0.1:`port` as a child process, without persistence.

    `restart(downtime_seconds)` stops it (SIGTERM; nothing is saved, so every queued message is
    lost), waits, and starts it again on the same port; `cleanup()` stops it and removes its
    directory.
    """

    def __init__(self):
        self.exe = shutil.which("redis-server")
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="cartwheel-redis-"))
        self.log_path = self.base / "redis.log"
        self.popen: subprocess.Popen | None = None
        self._log = None

    @staticmethod
    def available() -> bool:
        """Whether `redis-server` is on PATH."""
        return shutil.which("redis-server") is not None

    @property
    def base_url(self) -> str:
        """`redis://127.0.0.1:<port>` (append `/<db>` for a database)."""
        return f"redis://127.0.0.1:{self.port}"

    def ping(self) -> bool:
        """Whether the server answers PING right now."""
        import redis

        try:
            return bool(redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5,
                                    socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 30.0) -> "PrivateRedis":
        """Start the server and wait up to `timeout` seconds until it answers PING."""
        if self.exe is None:
            raise RuntimeError("redis-server is not installed")
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.base), "--maxclients", "2000"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.popen.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.popen.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} not answering after {timeout}s")
            time.sleep(0.05)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        """Stop the server with `sig` (SIGKILL after `timeout` seconds)."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.popen = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self, downtime_seconds: float, sig: int = signal.SIGTERM, on_down=None) -> tuple[float, float]:
        """Stop the server (its messages are lost), call `on_down()` (if given), keep it down
        `downtime_seconds` in all, start it again and wait until it answers. Returns the
        `time.monotonic()` instants (down, up)."""
        return outage(lambda: self.stop(sig), self.start, downtime_seconds, on_down)

    def tail(self, n: int = 20) -> str:
        """The last `n` lines of the server log, prefixed `[redis]`."""
        return log_tail(self.log_path, "redis", n)

    def cleanup(self) -> None:
        """Stop the server and remove its directory."""
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)
