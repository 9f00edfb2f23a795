"""POST /api/v1/auth/register applies the password policy: weak passwords are 422 in the envelope
with reason weak_password and zxcvbn's advice; a strong one makes the account."""

import pytest

from models.users import User

EMAIL = "lovelace@example.com"


def register(api, password, email=EMAIL):
    return api.post("/api/v1/auth/register", {"email": email, "password": password, "firstName": "Ada",
                                              "lastName": "Lovelace"})


@pytest.mark.parametrize("password", ["12345678", "password", "password1", EMAIL, "LoveLace@Example.com",
                                      "lovelace123", "ada-lovelace", "adalovelace"])
def test_register_refuses_a_weak_password_with_reason_weak_password(api, password):
    status, body, _ = register(api, password)
    assert status == 422, body
    error = body["error"]
    assert (error["code"], error["reason"]) == ("VALIDATION_ERROR", "weak_password")
    assert error["message"].startswith("Password")
    assert error["details"] and all(d["field"] == "password" and d["message"] for d in error["details"])
    assert error["requestId"].startswith("req_")
    assert not User.select().where(User.email == EMAIL).exists()


def test_register_passes_on_zxcvbn_advice(api):
    error = register(api, "password")[1]["error"]
    assert error["message"] == "Password is too easy to guess: This is a top-10 common password."
    assert {"field": "password", "message": "Add another word or two. Uncommon words are better."} in error["details"]


def test_register_refuses_a_password_over_128_characters(api):
    status, body, _ = register(api, "correct-horse-" * 9 + "abc")  # 129 characters
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in body["error"]["details"]] == ["password"]
    assert not User.select().where(User.email == EMAIL).exists()


def test_register_documents_the_length_limits(api):
    spec = api.get("/api/v1/openapi.json")[1]
    password = spec["components"]["schemas"]["Register"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (8, 128)


def test_register_accepts_a_strong_password_of_up_to_128_characters(api):
    status, body, _ = register(api, "correct-horse-battery-9")
    assert status == 201, body
    long_one = ("quartz-meadow-lantern-" * 6)[:127] + "9"
    status, body, _ = register(api, long_one, email="babbage@example.com")
    assert status == 201, body
    assert api.post("/api/v1/auth/login", {"email": "babbage@example.com", "password": long_one})[0] == 200
