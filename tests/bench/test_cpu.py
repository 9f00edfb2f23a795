"""bench.cpu: CPU and peak RSS by role, from a fake /proc."""

from types import SimpleNamespace

from bench import cpu
from tests.bench.fakeproc import add_process, remove_process

GUNICORN = "/v/bin/python /v/bin/gunicorn -k gthread --workers 2 --threads 8 web:create_app()"
CORE = "/v/bin/python /v/bin/dramatiq workers.app --processes 2 --threads 8 --queues checkout payments maintenance"
MODEL = "/v/bin/python /v/bin/dramatiq workers.app --processes 1 --threads 2 --queues fraud ml"


def test_parse_stat_reads_ppid_starttime_and_own_cpu(tmp_path):
    add_process(tmp_path, 42, ppid=7, utime=150, stime=50, starttime=12345, comm="weird) name (x")
    assert cpu.read_stat(42, tmp_path) == (7, 12345, 200)  # children's times (7 + 9) left out
    assert cpu.read_stat(43, tmp_path) is None


def test_classify_by_command_line():
    assert cpu.classify(GUNICORN) == "api"
    assert cpu.classify(CORE) == "core"
    assert cpu.classify(MODEL) == "model"
    assert cpu.classify("/v/bin/dramatiq workers.app --queues fraud --threads 2") == "model"
    assert cpu.classify("/v/bin/dramatiq workers.app --queues fraud checkout") == "core"
    assert cpu.classify("/v/bin/dramatiq workers.app --processes 2") == "core"  # every queue
    assert cpu.classify("/v/bin/python -m workers.scheduler") == "scheduler"
    assert cpu.classify("/v/bin/localstripe --port 1") is None


def test_delta_counts_new_processes_whole_and_ignores_gone_and_reused_pids(tmp_path):
    add_process(tmp_path, 10, utime=100, stime=20)                # lives throughout: +30
    add_process(tmp_path, 11, utime=500, starttime=100)           # gone before the end: lost
    add_process(tmp_path, 12, utime=40, starttime=100)            # pid reused by another process
    before = cpu.snapshot({"api": [10, 11, 12]}, tmp_path)
    add_process(tmp_path, 10, utime=120, stime=30)
    remove_process(tmp_path, 11)
    add_process(tmp_path, 12, utime=5, starttime=900)             # new process, same pid: counted whole
    add_process(tmp_path, 13, utime=7, stime=3, starttime=950)    # started in between: counted whole
    after = cpu.snapshot({"api": [10, 11, 12, 13]}, tmp_path)
    assert cpu.delta_ticks(before, after) == {"api": 30 + 5 + 10}


def test_per_operation_ms_total_leaves_out_the_load_generator():
    ticks = {"api": 100, "core": 50, "model": 10, "scheduler": 0, "postgres": 40, "redis": 0, "loadgen": 30,
             "postgresBench": 20}
    per_op = cpu.per_operation_ms(ticks, operations=20, clk_tck=100)  # 1 tick = 10 ms
    assert per_op["api"] == 50.0 and per_op["core"] == 25.0 and per_op["loadgen"] == 15.0
    assert per_op["postgresBench"] == 10.0
    assert per_op["total"] == (100 + 50 + 10 + 40) * 10 / 20
    nothing = cpu.per_operation_ms(ticks, operations=0, clk_tck=100)
    assert nothing["total"] is None and nothing["api"] is None
    assert cpu.seconds_by_role({"api": 250}, clk_tck=100) == {"api": 2.5}
    assert cpu.ticks_to_ms(3, clk_tck=100) == 30.0


def test_stack_role_pids_classifies_descendants_and_finds_the_servers(tmp_path):
    add_process(tmp_path, 100, comm="gunicorn", cmdline=GUNICORN)
    add_process(tmp_path, 101, ppid=100, comm="gunicorn", cmdline=GUNICORN)
    add_process(tmp_path, 200, comm="dramatiq", cmdline=CORE)
    add_process(tmp_path, 300, comm="dramatiq", cmdline=MODEL)
    add_process(tmp_path, 400, comm="python", cmdline="/v/bin/python -m workers.scheduler")
    add_process(tmp_path, 500, comm="postgres", cmdline="/usr/lib/postgresql/15/bin/postgres -D /x")
    add_process(tmp_path, 501, ppid=500, comm="postgres", cmdline="postgres: 15/main: postgres cartwheel_bench "
                                                                     "127.0.0.1(5000) idle")
    add_process(tmp_path, 502, ppid=500, comm="postgres", cmdline="postgres: 15/main: postgres other 127.0.0.1(1)")
    add_process(tmp_path, 600, comm="postgres", cmdline="postgres -D /another/cluster")
    add_process(tmp_path, 700, comm="redis-server", cmdline="redis-server 127.0.0.1:6379")
    add_process(tmp_path, 701, comm="redis-server", cmdline="redis-server 127.0.0.1:50001")
    # A supervisor-started layout would do too: classification reads each pid's command line.
    stack = SimpleNamespace(processes=lambda: [SimpleNamespace(pids=lambda: [100, 101]),
                                               SimpleNamespace(pids=lambda: [200, 300]),
                                               SimpleNamespace(pids=lambda: [400])])
    roles = cpu.stack_role_pids(stack, loadgen_pid=999, database="cartwheel_bench", redis_port=6379,
                                postmaster_pid=500, proc=tmp_path)
    assert roles == {"api": [100, 101], "core": [200], "model": [300], "scheduler": [400],
                     "postgres": [500, 501, 502], "redis": [700], "loadgen": [999], "postgresBench": [501]}
    everything = cpu.stack_role_pids(stack, proc=tmp_path)
    assert everything["postgres"] == [500, 501, 502, 600] and everything["redis"] == [700, 701]
    assert everything["loadgen"] == [] and "postgresBench" not in everything


def test_peak_rss_keeps_the_largest_seen_and_collapses_postgres(tmp_path):
    add_process(tmp_path, 10, comm="gunicorn", cmdline=GUNICORN, hwm_kb=100 * 1024)
    add_process(tmp_path, 20, comm="postgres", cmdline="postgres: a", hwm_kb=20 * 1024)
    add_process(tmp_path, 21, comm="postgres", cmdline="postgres: b", hwm_kb=30 * 1024)
    add_process(tmp_path, 2, comm="kthreadd", hwm_kb=None)
    peaks = cpu.PeakRss(tmp_path)
    peaks.sample({"api": [10], "postgres": [20, 21], "core": [2, 3]})
    add_process(tmp_path, 10, comm="gunicorn", cmdline=GUNICORN, hwm_kb=150 * 1024)
    remove_process(tmp_path, 21)  # gone: its peak stays
    peaks.sample({"api": [10], "postgres": [20, 21]})
    assert peaks.by_role() == {"api": 150.0, "postgres": 30.0}
    listed = peaks.by_process()
    assert listed[0]["role"] == "api" and listed[0]["peakRssMB"] == 150.0
    assert listed[0]["command"].startswith("gunicorn -k gthread")
    assert listed[1] == {"role": "postgres", "pid": None, "processes": 2,
                         "command": "postgres processes (largest)", "peakRssMB": 30.0}
    assert cpu.parse_vm_hwm_kb("Name: x\nVmHWM:\t  4096 kB\n") == 4096


def test_descendants(tmp_path):
    add_process(tmp_path, 1, ppid=0)
    add_process(tmp_path, 5, ppid=1)
    add_process(tmp_path, 6, ppid=5)
    add_process(tmp_path, 7, ppid=6)
    add_process(tmp_path, 8, ppid=1)
    assert cpu.descendants(5, tmp_path) == [5, 6, 7]
