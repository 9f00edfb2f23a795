"""Configuration: embedded defaults, the generated signing key, providers chosen explicitly in
production, and one-line errors naming the setting."""

import stat
from decimal import Decimal

import pytest

import config

PRODUCTION = {"CARTWHEEL_ENV": "production", "DATABASE_URL": "postgresql://x/y", "BROKER_URL": "redis://x",
              "REDIS_URL": "redis://x", "SECRET_KEY": "s" * 40}


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    """Generated signing keys go to this test's directory, not the project's var/."""
    path = tmp_path / "var" / "secret_key"
    monkeypatch.setattr(config, "SECRET_KEY_FILE", path)
    return path


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
    ({**PRODUCTION, "SECRET_KEY": "short"}, "SECRET_KEY"),
    (PRODUCTION, "SENDGRID_API_KEY"),
    ({**PRODUCTION, "EMAIL_PROVIDER": "console"}, "TWILIO_ACCOUNT_SID"),
    ({"EMAIL_PROVIDER": "sendgrid"}, "SENDGRID_API_KEY"),
    ({"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1"}, "TWILIO_AUTH_TOKEN"),
    ({"EMAIL_PROVIDER": "carrier-pigeon"}, "EMAIL_PROVIDER"),
])
def test_bad_settings_raise_one_line_naming_the_variable(env, name):
    with pytest.raises(config.ConfigError) as err:
        config.load(env)
    message = str(err.value)
    assert name in message and "\n" not in message


def test_currency_exponents_follow_iso_4217():
    assert config.load({"CURRENCY": "jod"}).currency_exponent == 3
    assert config.load({"CURRENCY": "JPY"}).currency_exponent == 0


def test_without_secret_key_a_random_key_is_generated_once_into_var(key_file, tmp_path, monkeypatch):
    first = config.load({}).secret_key
    assert len(first) >= 64 and config.load({}).secret_key == first  # kept across restarts
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    monkeypatch.setattr(config, "SECRET_KEY_FILE", tmp_path / "other" / "secret_key")
    assert config.load({}).secret_key != first  # a new install gets its own key: no constant default
    assert config.load({"SECRET_KEY": "k" * 40}).secret_key == "k" * 40


def test_an_unusable_key_file_stops_start_up_naming_secret_key(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_text("short")
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.load({})


def test_providers_are_the_real_ones_when_configured_and_console_only_when_allowed():
    assert (config.load({}).email_provider, config.load({}).sms_provider) == ("console", "console")
    embedded = config.load({"SENDGRID_API_KEY": "SG.x", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
                            "TWILIO_FROM": "+15550001111"})
    assert (embedded.email_provider, embedded.sms_provider) == ("sendgrid", "twilio")
    chosen = config.load({**PRODUCTION, "EMAIL_PROVIDER": "console", "SMS_PROVIDER": "console"})
    assert (chosen.email_provider, chosen.sms_provider) == ("console", "console")

