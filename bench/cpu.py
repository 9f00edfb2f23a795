"""CPU time and peak memory of the bench's processes, by role, read from /proc.

Roles (`ROLES`): `api` (gunicorn master and workers), `core` (the dramatiq worker of the
core queues), `model` (the dramatiq worker of the `fraud` and `ml` queues), `scheduler`,
`postgres` (the PostgreSQL server the stack uses: its postmaster, auxiliary processes and
every backend, other clients' included; without the postmaster's pid, every process named
`postgres` on the machine, other clusters' included), `redis` (the `redis-server` the
stack uses) and `loadgen` (the load generator's process). `postgresBench` is an extra, narrower figure:
the backends connected to the bench database only (their command line names it), which
other clients of the same server do not disturb.

CPU is `utime + stime` of `/proc/<pid>/stat` in clock ticks (`CLK_TCK` per second), a
process's own time only. A snapshot maps each role to `{(pid, starttime): ticks}`; the
delta of two snapshots sums, per role, every process of the second one minus its ticks in
the first (0 when it started in between). The CPU of a process that ends between the two
snapshots is not counted (none of the stack's processes should; another client's
PostgreSQL backend that ends is not counted either, which is why children's times are
left out).

Peak memory is `VmHWM` of `/proc/<pid>/status` (kB), the process's peak resident set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

PROC = Path("/proc")
CLK_TCK = os.sysconf("SC_CLK_TCK")
ROLES = ("api", "core", "model", "scheduler", "postgres", "redis", "loadgen")
SERVER_ROLES = ("api", "core", "model", "scheduler", "postgres", "redis")  # the total per operation
MODEL_QUEUES = {"fraud", "ml"}

Key = tuple[int, int]  # (pid, starttime in ticks since boot): a pid reused later is another process
Snapshot = dict[str, dict[Key, int]]  # role -> {process key: CPU ticks}


def parse_stat(text: str) -> tuple[int, int, int]:
    """`(ppid, starttime, utime + stime)` from the text of /proc/<pid>/stat (ticks)."""
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 (state) onwards
    return int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12])


def read_stat(pid: int, proc: Path = PROC) -> tuple[int, int, int] | None:
    """`parse_stat` of a live process, or None when it is gone."""
    try:
        return parse_stat((proc / str(pid) / "stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def cmdline(pid: int, proc: Path = PROC) -> str:
    """The command line of `pid`, arguments joined by spaces ("" when gone)."""
    try:
        return (proc / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def pids_named(names: Iterable[str], proc: Path = PROC) -> list[int]:
    """Every pid whose /proc/<pid>/comm is one of `names`."""
    wanted = set(names)
    found = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in wanted:
                    found.append(int(entry.name))
            except OSError:
                pass
    return sorted(found)


def descendants(pid: int, proc: Path = PROC) -> list[int]:
    """`pid` and every process descending from it (from the ppid of each /proc entry)."""
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            stat = read_stat(int(entry.name), proc)
            if stat is not None:
                children.setdefault(stat[0], []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return sorted(found)


def classify(command: str) -> str | None:
    """The role of one of the stack's processes from its command line: `api`, `core`,
    `model`, `scheduler`, or None (another helper, e.g. localstripe)."""
    words = command.split()
    names = {Path(word).name for word in words}
    if "gunicorn" in names:
        return "api"
    if "dramatiq" in names:
        if "--queues" in words:
            queues = set()
            for word in words[words.index("--queues") + 1:]:
                if word.startswith("-"):
                    break
                queues.add(word)
            if queues and queues <= MODEL_QUEUES:
                return "model"
        return "core"
    if "workers.scheduler" in words:
        return "scheduler"
    return None


def stack_role_pids(stack, loadgen_pid: int | None = None, database: str | None = None,
                    redis_port: int | None = None, postmaster_pid: int | None = None,
                    proc: Path = PROC) -> dict[str, list[int]]:
    """`{role: [pid]}` for a running ProductionStack (`stack.processes()` and their
    descendants, classified by command line), the PostgreSQL server (`postmaster_pid` and
    its descendants; every `postgres` process when None), the Redis server
    (the one listening on `redis_port` when given: others' test servers are not ours),
    the bench database's backends (`postgresBench`, when `database` is given) and the load
    generator."""
    roles: dict[str, list[int]] = {role: [] for role in ROLES}
    for process in stack.processes():
        for pid in process.pids():
            role = classify(cmdline(pid, proc))
            if role is not None:
                roles[role].append(pid)
    named = pids_named(["postgres"], proc)
    if postmaster_pid is not None:
        cluster = set(descendants(postmaster_pid, proc))
        named = [pid for pid in named if pid in cluster]
    roles["postgres"] = named
    roles["redis"] = [pid for pid in pids_named(["redis-server"], proc)
                      if redis_port is None or f":{redis_port}" in cmdline(pid, proc)]
    if database:
        roles["postgresBench"] = [pid for pid in roles["postgres"] if f" {database} " in f" {cmdline(pid, proc)} "]
    if loadgen_pid is not None:
        roles["loadgen"] = [loadgen_pid]
    return roles


def snapshot(role_pids: dict[str, list[int]], proc: Path = PROC) -> Snapshot:
    """CPU ticks so far of every live process of each role."""
    snap: Snapshot = {}
    for role, pids in role_pids.items():
        per_process = snap.setdefault(role, {})
        for pid in pids:
            stat = read_stat(pid, proc)
            if stat is not None:
                per_process[(pid, stat[1])] = stat[2]
    return snap


def delta_ticks(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """CPU ticks used between two snapshots, per role of `after` (see the module docstring)."""
    return {role: sum(ticks - before.get(role, {}).get(key, 0) for key, ticks in processes.items())
            for role, processes in after.items()}


def ticks_to_ms(ticks: float, clk_tck: int = CLK_TCK) -> float:
    """Clock ticks to milliseconds."""
    return ticks * 1000.0 / clk_tck


def per_operation_ms(ticks: dict[str, int], operations: int, clk_tck: int = CLK_TCK) -> dict[str, float | None]:
    """ms of CPU per operation for each role, plus `total` (the `SERVER_ROLES`: the load
    generator and `postgresBench`, a subset of `postgres`, are left out). Values are
    rounded to 0.01 ms; all None when `operations` is 0."""
    roles = [r for r in (*ROLES, "postgresBench") if r in ticks]
    if operations <= 0:
        return {**{role: None for role in roles}, "total": None}
    per_op = {role: round(ticks_to_ms(ticks[role], clk_tck) / operations, 2) for role in roles}
    per_op["total"] = round(ticks_to_ms(sum(ticks.get(r, 0) for r in SERVER_ROLES), clk_tck) / operations, 2)
    return per_op


def seconds_by_role(ticks: dict[str, int], clk_tck: int = CLK_TCK) -> dict[str, float]:
    """CPU seconds per role (rounded to 0.01 s)."""
    return {role: round(value / clk_tck, 2) for role, value in ticks.items()}


def parse_vm_hwm_kb(status_text: str) -> int | None:
    """VmHWM (kB) from the text of /proc/<pid>/status, None when absent (kernel threads)."""
    for line in status_text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


class PeakRss:
    """Peak resident set (VmHWM) of every process seen, kept across samples.

    `sample(role_pids)` reads each process's VmHWM (which only grows during a process's
    life, so sampling now and then misses nothing of a process still alive at the next
    sample); `by_process()` lists `{"role", "pid", "command", "peakRssMB"}`, `by_role()`
    gives the largest per role in MB."""

    def __init__(self, proc: Path = PROC):
        self.proc = proc
        self.peaks: dict[Key, dict] = {}

    def sample(self, role_pids: dict[str, list[int]]) -> None:
        for role, pids in role_pids.items():
            for pid in pids:
                stat = read_stat(pid, self.proc)
                try:
                    kb = parse_vm_hwm_kb((self.proc / str(pid) / "status").read_text())
                except OSError:
                    continue
                if stat is None or kb is None:
                    continue
                entry = self.peaks.setdefault((pid, stat[1]), {"role": role, "pid": pid,
                                                                "command": _short(cmdline(pid, self.proc)),
                                                                "peakRssMB": 0.0})
                entry["peakRssMB"] = max(entry["peakRssMB"], round(kb / 1024, 1))

    def by_process(self, collapse: Iterable[str] = ("postgres",)) -> list[dict]:
        """Every process seen, by role then in the order first seen; the processes of a role in `collapse` are
        one entry `{"role", "processes": n, "command", "peakRssMB": the largest}`."""
        entries, collapsed = [], {}
        for entry in self.peaks.values():
            if entry["role"] in collapse:
                group = collapsed.setdefault(entry["role"], {"role": entry["role"], "pid": None, "processes": 0,
                                                             "command": f"{entry['role']} processes (largest)",
                                                             "peakRssMB": 0.0})
                group["processes"] += 1
                group["peakRssMB"] = max(group["peakRssMB"], entry["peakRssMB"])
            else:
                entries.append(entry)
        entries += collapsed.values()
        return sorted(entries, key=lambda e: ROLES.index(e["role"]) if e["role"] in ROLES else len(ROLES))

    def by_role(self) -> dict[str, float]:
        roles: dict[str, float] = {}
        for entry in self.peaks.values():
            roles[entry["role"]] = max(roles.get(entry["role"], 0.0), entry["peakRssMB"])
        return roles


def _short(command: str, limit: int = 80) -> str:
    words = command.split()
    if words and Path(words[0]).name.startswith("python") and len(words) > 1:
        words = words[1:]  # "python .../gunicorn ..." -> ".../gunicorn ..."
    if words:
        words[0] = Path(words[0]).name
    text = " ".join(words)
    return text if len(text) <= limit else text[:limit - 3] + "..."
