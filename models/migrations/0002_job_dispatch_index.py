"""Index the outbox relay's scan (undispatched or running jobs by state and age)."""


def migrate(database, migrator):
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS job_state_updated_at ON job (state, updated_at)"
    )
