"""bench.run's command line: defaults, --smoke sizes, explicit values winning."""

import pytest

from bench import run
from bench.scenarios import SCENARIOS


def test_defaults_run_every_scenario():
    args = run.parse_args([])
    assert args.scenario_list == list(SCENARIOS)
    assert (args.seconds, args.users, args.rate, args.customers) == (20.0, 16, 80.0, 16)
    assert args.db_list == ["checkout_guest", "checkout_user", "checkout_promo", "checkout_open"]
    assert args.job_wait == "auto" and not args.strict


def test_smoke_is_small_and_strict_but_explicit_values_win():
    args = run.parse_args(["--smoke"])
    assert (args.seconds, args.users, args.rate, args.strict) == (2.5, 4, 10.0, True)
    assert args.db_list == ["checkout_guest"]
    args = run.parse_args(["--smoke", "--users", "2", "--scenarios", "browse,noop_jobs"])
    assert args.users == 2 and args.customers == 2 and args.scenario_list == ["browse", "noop_jobs"]


def test_unknown_scenarios_are_refused(capsys):
    with pytest.raises(SystemExit):
        run.parse_args(["--scenarios", "browse,checkout"])
    assert "unknown scenarios ['checkout']" in capsys.readouterr().err
