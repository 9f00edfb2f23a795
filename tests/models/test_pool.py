"""The PostgreSQL pool hands out a recently checked-in connection without a liveness round trip,
and still checks (and replaces) one that sat idle longer (models.db.RecentlyUsedPool)."""

import pytest
from playhouse import pool as playhouse_pool

from models import db as db_module
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"),
                                reason="PostgreSQL pool (TEST_DATABASE_URL)")


@pytest.fixture()
def pool():
    handle = db_module.init_database(TEST_DATABASE_URL, 4)
    yield handle
    handle.close_all()


@pytest.fixture()
def round_trips(monkeypatch):
    calls = []
    real = playhouse_pool._PooledPostgresqlDatabase._is_closed

    def counting(self, conn):
        calls.append(id(conn))
        return real(self, conn)

    monkeypatch.setattr(playhouse_pool._PooledPostgresqlDatabase, "_is_closed", counting)
    return calls


def test_a_connection_checked_in_moments_ago_is_reused_without_a_round_trip(pool, round_trips):
    pool.connect()
    first = pool.connection()
    pool.close()
    pool.connect()
    assert pool.connection() is first and round_trips == []
    assert pool.execute_sql("SELECT 1").fetchone() == (1,)
    pool.close()


def test_a_connection_idle_longer_is_checked_and_a_dead_one_replaced(pool, round_trips, monkeypatch):
    pool.connect()
    first = pool.connection()
    backend_pid = pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    pool.close()
    import psycopg2

    admin = psycopg2.connect(TEST_DATABASE_URL)
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
    admin.close()
    monkeypatch.setattr(db_module, "POOL_TRUST_SECONDS", 0.0)
    pool.connect()
    assert round_trips and pool.connection() is not first  # the dead one was detected and dropped
    assert pool.execute_sql("SELECT 1").fetchone() == (1,)
    pool.close()
