"""Flask CLI commands: `flask --app web users create-admin EMAIL --password PASSWORD`,
`flask --app web db migrate`, `flask --app web pii rotate` (re-encrypt personal data under the
current PII key now, instead of waiting for the daily task) and `flask --app web fraud
demo-history` (SYNTHETIC fraud demo data)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from models.db import database


def register_cli(app: Flask) -> None:
    """Add the `users`, `db`, `pii` and `fraud` command groups to `app`."""
    users = AppGroup("users", help="Manage accounts.")

    @users.command("create-admin")
    @click.argument("email")
    @click.option("--password", required=True,
                  help="8 to 128 characters, hard to guess (zxcvbn) and not containing the email.")
    def create_admin(email, password):
        """Create an admin account (or promote an existing one)."""
        from models.migrate import apply_migrations
        from services import customers
        from services.errors import DomainError

        with database.connection_context():
            apply_migrations()
            try:
                user = customers.ensure_admin(email, password)
            except DomainError as exc:
                raise click.ClickException(exc.message) from None
        click.echo(f"admin {user.email} ({user.id}) ready")

    db = AppGroup("db", help="Database schema.")

    @db.command("migrate")
    def migrate():
        """Apply pending migrations."""
        from models.migrate import apply_migrations

        applied = apply_migrations()
        click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))

    pii = AppGroup("pii", help="Personal data at rest.")

    @pii.command("rotate")
    def rotate():
        """Re-encrypt and re-hash every PII column still under an old key (prints the counts)."""
        import json

        from services.platform import pii_rotation

        with database.connection_context():
            click.echo(json.dumps(pii_rotation.rotate_pii()))

    fraud_commands = AppGroup("fraud", help="Fraud demo data.")

    @fraud_commands.command("demo-history")
    @click.option("--customers", default=400, show_default=True, type=click.IntRange(10, 100_000))
    @click.option("--days", default=120, show_default=True, type=click.IntRange(7, 3650))
    @click.option("--seed", default=0, show_default=True, type=int)
    def demo_history(customers, days, seed):
        """Write a SYNTHETIC labelled order history for the fraud demo (ml.fraud.synthetic)."""
        from services import fraud

        with database.connection_context():
            counts = fraud.generate_demo_history(customers, days, seed)
        click.echo(f"synthetic history: {counts['users']} users, {counts['orders']} orders, "
                   f"{counts['fraud']} labelled fraud")

    app.cli.add_command(users)
    app.cli.add_command(db)
    app.cli.add_command(pii)
    app.cli.add_command(fraud_commands)
