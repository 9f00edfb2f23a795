"""The Flask CLI: creating an admin who can then log in."""

from models.users import User


def test_create_admin_command_makes_an_admin_who_can_log_in(app, api):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "Boss@Example.com",
                                                "--password", "very-secret-9"])
    assert result.exit_code == 0, result.output
    assert User.get(User.email == "boss@example.com").role == "admin"
    status, body, _ = api.post("/api/v1/auth/login", {"email": "boss@example.com", "password": "very-secret-9"})
    assert status == 200 and body["data"]["user"]["role"] == "admin"


def test_create_admin_rejects_a_short_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create-admin", "x@example.com", "--password", "short"])
    assert result.exit_code != 0 and "8 characters" in result.output
