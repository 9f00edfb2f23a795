"""The password policy: 8 to 128 characters, hard enough to guess for zxcvbn (PASSWORD_MIN_SCORE),
never the email nor containing its local part; registration and the CLI/demo admin apply it."""

import dataclasses

import pytest

import config
from models.users import User
from services import customers
from services.customers import passwords
from services.errors import ValidationFailed

EMAIL = "lovelace@example.com"
STRONG = "correct-horse-battery-9"
WEAK = {  # password -> what the refusal talks about
    "12345678": "easy to guess",
    "password": "easy to guess",
    "password1": "easy to guess",
    EMAIL: "email",
    EMAIL.upper(): "email",
    "lovelace123": "email",
    "x" * 129: "at most 128",
    "short": "at least 8",
}


def refusal(password, email=EMAIL, user_inputs=()) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        passwords.check_password(password, email, user_inputs)
    return caught.value


@pytest.mark.parametrize("password", WEAK)
def test_check_password_refuses_weak_passwords_as_weak_password(settings, password):
    error = refusal(password)
    assert (error.status, error.code, error.reason) == (422, "VALIDATION_ERROR", "weak_password")
    assert WEAK[password] in error.message.lower()
    assert error.details and all(d["field"] == "password" and d["message"] for d in error.details)


def test_check_password_accepts_a_strong_password_and_128_characters(settings):
    assert passwords.check_password(STRONG, EMAIL, ("Ada", "Lovelace")) is None
    long_one = ("quartz-meadow-lantern-" * 6)[:127] + "9"
    assert len(long_one) == passwords.MAX_PASSWORD_LENGTH == 128
    assert passwords.check_password(long_one, EMAIL) is None


def test_zxcvbn_warning_and_suggestions_are_the_details(settings):
    error = refusal("password1")
    messages = [d["message"] for d in error.details]
    assert messages[0] == "This is a very common password."
    assert "Add another word or two. Uncommon words are better." in messages
    assert error.message == "Password is too easy to guess: This is a very common password."


def test_the_names_count_as_easy_to_guess(settings):
    assert passwords.check_password("zebulonquixotic", "z@example.com") is None
    error = refusal("zebulonquixotic", "z@example.com", ("Zebulon", "Quixotic"))
    assert error.message.startswith("Password is too easy to guess")


def test_a_local_part_shorter_than_three_characters_may_appear(settings):
    assert passwords.check_password("tall-orange-kayak-7", "al@example.com") is None
    assert refusal("tall-orange-kayak-7", "kayak@example.com").message.endswith("email address")


def test_the_required_score_is_the_setting(settings):
    config.override(dataclasses.replace(settings, password_min_score=4))
    assert refusal("very-secret-9").details == [{"field": "password", "message": passwords.DEFAULT_SUGGESTION}]
    config.override(dataclasses.replace(settings, password_min_score=0))
    assert passwords.check_password("password1", EMAIL) is None
    config.override(settings)


def test_length_limits_are_published():
    assert (customers.MIN_PASSWORD_LENGTH, customers.MAX_PASSWORD_LENGTH) == (8, 128)


@pytest.mark.parametrize("password", ["12345678", "password1", EMAIL, "lovelace123", "x" * 129])
def test_register_user_and_ensure_admin_refuse_weak_passwords(db, password):
    for create in (lambda: customers.register_user(EMAIL, password, "Ada", "Lovelace"),
                   lambda: customers.ensure_admin(EMAIL, password)):
        with pytest.raises(ValidationFailed) as caught:
            create()
        assert caught.value.reason == "weak_password"
    assert not User.select().where(User.email == EMAIL).exists()


def test_register_user_judges_the_password_against_the_names(db):
    with pytest.raises(ValidationFailed):
        customers.register_user("z@example.com", "zebulonquixotic", "Zebulon", "Quixotic")
    assert customers.register_user("z@example.com", STRONG, "Zebulon", "Quixotic").email == "z@example.com"


def test_ensure_admin_with_a_strong_password_makes_an_admin(db):
    assert customers.ensure_admin(EMAIL.upper(), STRONG).role == "admin"
    with pytest.raises(ValidationFailed):
        customers.ensure_admin(EMAIL, "lovelace-2024")  # the password of an existing account too
    assert customers.authenticate(EMAIL, STRONG).role == "admin"
