"""The password policy: how long a new password may be, how hard to guess it must be
(zxcvbn), and that it is not the account's email.

`check_password` is called wherever a password is set (registration, the CLI/demo admin;
password change and reset use it too). It never sees a stored password: login checks only
the hash.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

import config
from services.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 8  # characters
MAX_PASSWORD_LENGTH = 128  # characters; also bounds zxcvbn's work and Argon2's input
MIN_LOCAL_PART = 3  # an email local part this long or longer may not appear in the password
DEFAULT_SUGGESTION = "Add another word or two. Uncommon words are better."


def _weak(message: str, hints: list[str] | None = None) -> ValidationFailed:
    details = [{"field": "password", "message": hint} for hint in (hints or [message]) if hint]
    return ValidationFailed(message, reason="weak_password", details=details)


def check_password(password: str, email: str | None = None, user_inputs=()) -> None:
    """Refuse a password that is too weak for a new account (or a password change).

    `email` is the account's email; `user_inputs` are other words about the user (first and
    last name...) that zxcvbn treats as easy to guess. A password is refused, with
    ValidationFailed (422, reason `weak_password`, details `[{"field": "password",
    "message"}]`), when it is:

    - shorter than `MIN_PASSWORD_LENGTH` (8) or longer than `MAX_PASSWORD_LENGTH` (128)
      characters;
    - the email itself, or contains the email's local part (when 3+ characters), ignoring case;
    - scored by zxcvbn below `settings.password_min_score` (0-4, `PASSWORD_MIN_SCORE`,
      default 3) given the email, its local part and `user_inputs`; the details are zxcvbn's
      warning and suggestions.

    Returns None when the password is acceptable.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _weak(f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
                    [f"At least {MIN_PASSWORD_LENGTH} characters"])
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _weak(f"Password must be at most {MAX_PASSWORD_LENGTH} characters",
                    [f"At most {MAX_PASSWORD_LENGTH} characters"])
    words = [str(word) for word in user_inputs if word]
    if email:
        email = email.strip().lower()
        local_part = email.split("@", 1)[0]
        lowered = password.lower()
        if lowered == email or (len(local_part) >= MIN_LOCAL_PART and local_part in lowered):
            raise _weak("Password must not be or contain your email address",
                        ["Do not use your email address, or the part before the @, in your password"])
        words = [email, local_part, *words]
    result = zxcvbn(password, user_inputs=words, max_length=MAX_PASSWORD_LENGTH)
    if result["score"] < config.get().password_min_score:
        feedback = result.get("feedback") or {}
        warning = feedback.get("warning") or ""
        hints = [hint for hint in (warning, *(feedback.get("suggestions") or [])) if hint] or [DEFAULT_SUGGESTION]
        message = "Password is too easy to guess" + (f": {warning}" if warning else "")
        raise _weak(message, hints)
