"""Configuration: embedded defaults, and one-line errors naming the setting."""

from decimal import Decimal

import pytest

import config


def test_embedded_defaults_need_no_environment():
    s = config.load({})
    assert s.embedded and s.database_url.startswith("sqlite:///") and s.currency == "USD"
    assert s.tax_rate == Decimal("0.08") and not s.stripe_enabled


@pytest.mark.parametrize("env, name", [
    ({"TAX_RATE": "eight"}, "TAX_RATE"),
    ({"TAX_RATE": "1.5"}, "TAX_RATE"),
    ({"CURRENCY": "XXX"}, "CURRENCY"),
    ({"JOB_LEASE_SECONDS": "soon"}, "JOB_LEASE_SECONDS"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"BROKER_URL": "kafka://x"}, "BROKER_URL"),
    ({"CARTWHEEL_ENV": "production"}, "DATABASE_URL"),
    ({"CARTWHEEL_ENV": "production", "DATABASE_URL": "postgresql://x/y", "BROKER_URL": "redis://x",
      "REDIS_URL": "redis://x", "SECRET_KEY": "short"}, "SECRET_KEY"),
])
def test_bad_settings_raise_one_line_naming_the_variable(env, name):
    with pytest.raises(config.ConfigError) as err:
        config.load(env)
    message = str(err.value)
    assert name in message and "\n" not in message


def test_currency_exponents_follow_iso_4217():
    assert config.load({"CURRENCY": "jod"}).currency_exponent == 3
    assert config.load({"CURRENCY": "JPY"}).currency_exponent == 0
