"""Flask CLI commands: `flask --app web users create-admin EMAIL --password PASSWORD`, `flask --app web db migrate`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from models.db import database


def register_cli(app: Flask) -> None:
    users = AppGroup("users", help="Manage accounts.")

    @users.command("create-admin")
    @click.argument("email")
    @click.option("--password", required=True, help="At least 8 characters.")
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

    app.cli.add_command(users)
    app.cli.add_command(db)
