"""The schemathesis phase of CI (`make schemathesis`, `.ci/run`).

Starts the embedded server (`python -m web.serve`, as `make run`) on a temporary
SQLite file, model and media folders and a free port (the demo catalog seeds
itself), creates an admin with `flask --app web users create-admin`, logs in
through the API for a token, then runs schemathesis against
`/api/v1/openapi.json` twice: anonymously, and with `Authorization: Bearer
<admin token>`. Every check runs (the config file's form of `--checks all`) except
the few excluded per operation in `.ci/schemathesis.toml`, each with its reason;
`.ci/schemathesis_hooks.py` gives generated requests what OpenAPI cannot describe.
Exit status: 0 only when both runs pass (no server error, no response-schema
violation, no other failure) and the server logged no unhandled error.

Usage: python .ci/schemathesis.py [--max-examples N] [--report-dir DIR] [--seed N] [--only anonymous|admin]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import stack  # noqa: E402  (after the path set-up)

CONFIG = ROOT / ".ci" / "schemathesis.toml"
HOOKS = ROOT / ".ci" / "schemathesis_hooks.py"
# Streams end after 5 s (the shortest SSE_MAX_SECONDS) so a stream case does not hold a worker for
# minutes; the admin token outlives the phase.
# Rate limits off: schemathesis sends thousands of requests from one address (the 429 they would
# answer is documented on every operation; the login backoff stays on).
SERVER_ENV = {"JWT_ACCESS_TTL_SECONDS": "3600", "SSE_MAX_SECONDS": "5", "SSE_KEEPALIVE_SECONDS": "1",
              "SSE_MAX_STREAMS": "8", "RATE_LIMITS_ENABLED": "false"}
ADMIN_EMAIL = "schemathesis-admin@cartwheel.test"
ADMIN_PASSWORD = "lichen-harbor-schema-8"  # passes the password policy (no part of the email)


def log(message: str) -> None:
    print(f"schemathesis-phase: {message}", flush=True)


def wait_for_catalog(server: stack.EmbeddedServer, timeout: float = 90.0) -> int:
    """Wait until the demo catalog's import jobs have written products; returns how many."""
    http = stack.Http(server.base)
    deadline = time.monotonic() + timeout
    total = 0
    while time.monotonic() < deadline:
        status, body, _ = http.get("/api/v1/products?limit=1")
        total = (body or {}).get("pagination", {}).get("total", 0) if status == 200 else 0
        if total:
            return total
        time.sleep(0.5)
    return total


def admin_token(server: stack.EmbeddedServer) -> str:
    """Create the admin with the CLI (same environment as the server) and log in through the API."""
    server.flask("users", "create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    status, body, _ = stack.Http(server.base).post("/api/v1/auth/login",
                                                   json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    if status != 200:
        raise RuntimeError(f"admin login failed: {status} {body}")
    return body["data"]["accessToken"]


SERVER_ERROR_CODES = {"ST101"}  # 5xx
SCHEMA_VIOLATION_CODES = {"ST108", "ST109", "ST110", "ST111"}  # body/headers/SSE events the schema rejects


def junit_summary(path: Path) -> dict:
    """tests / failures / errors / skipped summed over a junit report, and failures per code."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    codes: dict[str, int] = {}
    if not path.exists():
        return dict(totals, codes=codes, missing=True)
    root = ElementTree.parse(path).getroot()
    for suite in [root] if root.tag == "testsuite" else root.findall("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0) or 0)
    for failure in root.iter("failure"):
        code = failure.get("message") or "?"
        codes[code] = codes.get(code, 0) + 1
    return dict(totals, codes=codes)


def start_schemathesis(name: str, base: str, report_dir: Path, workdir: Path, args, token: str | None = None):
    """Start one schemathesis run (output in `<report_dir>/schemathesis-<name>.log`, junit in
    `schemathesis-<name>.xml`); returns (process, log path, junit path). With `token`, every
    operation that declares `bearerAuth` (required or optional) gets `Authorization: Bearer
    <token>` through schemathesis's OpenAPI-aware auth, so its missing-auth and ignored-auth
    checks know that header is the credential."""
    junit = report_dir / f"schemathesis-{name}.xml"
    output = report_dir / f"schemathesis-{name}.log"
    config_file = CONFIG
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}
    if token:
        config_file = workdir / f"schemathesis-{name}.toml"
        config_file.write_text(CONFIG.read_text() + '\n[auth.openapi.bearerAuth]\nbearer = "${CARTWHEEL_ADMIN_TOKEN}"\n')
        env["CARTWHEEL_ADMIN_TOKEN"] = token
    argv = [str(stack.BIN / "schemathesis"), "--config-file", str(config_file), "run", f"{base}/api/v1/openapi.json",
            "--max-examples", str(args.max_examples), "--seed", str(args.seed), "--workers", str(args.workers),
            "--no-color", "--request-timeout", "30", "--report", "junit", "--report-junit-path", str(junit)]
    log(f"run {name}: {' '.join(argv)}")
    # In the temporary folder: schemathesis keeps its example cache in ./.schemathesis.
    with open(output, "wb") as out:
        proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, output, junit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SCHEMATHESIS_SEED", "1")))
    # One worker thread per run (the two runs go side by side): on CPython 3.11.7, hypothesis parsing lambda
    # sources in two threads at once can hit "SystemError: AST constructor recursion depth mismatch"
    # (CPython gh-106905, fixed in 3.11.8), a runtime error of the tool, not of the API.
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SCHEMATHESIS_WORKERS", "1")))
    parser.add_argument("--report-dir", type=Path, default=None)
    parser.add_argument("--only", choices=("anonymous", "admin"), default=None)
    args = parser.parse_args()

    started = time.monotonic()
    summaries: dict[str, dict] = {}
    exits: dict[str, int] = {}
    runs: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory(prefix="cartwheel-schemathesis.") as tmp:
        workdir = Path(tmp)
        report_dir = args.report_dir or workdir / "reports"
        report_dir.mkdir(parents=True, exist_ok=True)
        server = stack.EmbeddedServer(workdir, extra_env=SERVER_ENV)
        try:
            server.start()
            log(f"server up on {server.base} (pid {server.proc.pid}); {wait_for_catalog(server)} products")
            token = admin_token(server)
            # The two runs go side by side: most of their time is spent waiting on the server.
            if args.only in (None, "anonymous"):
                runs["anonymous"] = start_schemathesis("anonymous", server.base, report_dir, workdir, args)
            if args.only in (None, "admin"):
                runs["admin"] = start_schemathesis("admin", server.base, report_dir, workdir, args, token)
            for name, (proc, output, junit) in runs.items():
                exits[name] = proc.wait()
                print(f"\n----- schemathesis, {name} run -----", flush=True)
                print(output.read_text(errors="replace"), flush=True)
                summaries[name] = junit_summary(junit)
        except Exception:
            if server.proc is not None:
                print(server.proc.tail(80), file=sys.stderr)
            raise
        finally:
            for proc, _, _ in runs.values():
                if proc.poll() is None:
                    proc.kill()
            server.stop()
        errors = [line for line in server.proc.log_path.read_text(errors="replace").splitlines()
                  if "unhandled error" in line or "Traceback" in line]
        if errors:
            log(f"the server logged {len(errors)} unhandled error(s):")
            print("\n".join(errors[:20]))
    failed = []
    for name, summary in summaries.items():
        codes = summary["codes"]
        server_errors = sum(codes.get(code, 0) for code in SERVER_ERROR_CODES)
        violations = sum(codes.get(code, 0) for code in SCHEMA_VIOLATION_CODES)
        log(f"{name}: exit {exits[name]}; {summary['tests']} operations, {summary['failures']} failed, "
            f"{summary['errors']} errors; server errors {server_errors}, response-schema violations {violations}; "
            f"failures by code {json.dumps(codes, sort_keys=True)}")
        if exits[name] != 0 or summary.get("missing") or summary["failures"] or summary["errors"]:
            failed.append(name)
    verdict = "passed" if not failed and not errors else f"FAILED ({', '.join(failed) or 'server errors logged'})"
    log(f"done in {time.monotonic() - started:.0f}s: {verdict}")
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
