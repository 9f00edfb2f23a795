"""Migrations apply to an empty database and to an existing one, once."""

from models import ALL_MODELS
from models.db import database, init_database
from models.users import User
from models.migrate import apply_migrations, migration_names


def test_migrations_apply_to_an_empty_database_then_are_up_to_date(tmp_path):
    init_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    with database.connection_context():
        assert apply_migrations() == migration_names()
        assert apply_migrations() == []
        tables = set(database.get_tables())
    assert {m._meta.table_name for m in ALL_MODELS} <= tables


def test_migrations_upgrade_an_existing_database_keeping_its_rows(tmp_path):
    init_database(f"sqlite:///{tmp_path / 'old.db'}")
    first = migration_names()[0]
    with database.connection_context():
        assert apply_migrations(target=first) == [first]
        database.execute_sql("INSERT INTO store (id, name, slug, description, created_at) "
                             "VALUES ('store_1', 'Old shop', 'old-shop', '', '2025-01-01 00:00:00')")
        assert apply_migrations() == migration_names()[1:]
        assert database.execute_sql("SELECT name FROM store").fetchone()[0] == "Old shop"
        indexes = [row[1] for row in database.execute_sql("PRAGMA index_list('job')").fetchall()]
    assert {"job_queued_dispatch", "job_unfinished", "job_finished"} <= set(indexes)
    assert "job_state_updated_at" not in indexes  # replaced by the partial indexes of 0007


def test_0013_upgrades_users_to_encrypted_phone_identities_without_losing_rows(tmp_path):
    """A database from before 0013: `user.email` NOT NULL, plain-text phones (one shared by two
    accounts), no phone_hash. Rebuilt by hand from 0012's state (0001 creates current tables)."""
    init_database(f"sqlite:///{tmp_path / 'phones.db'}")
    with database.connection_context():
        apply_migrations(target="0012_mfa")
        database.execute_sql("DROP INDEX user_phone_hash")
        database.execute_sql('ALTER TABLE "user" DROP COLUMN phone_hash')
        database.execute_sql('ALTER TABLE "user" DROP COLUMN phone_verified_at')
        sql = database.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'user'").fetchone()[0]
        version = database.execute_sql("PRAGMA schema_version").fetchone()[0]
        database.execute_sql("PRAGMA writable_schema = ON")
        database.execute_sql("UPDATE sqlite_master SET sql = ? WHERE name = 'user'",
                             (sql.replace('"email" VARCHAR(254)', '"email" VARCHAR(254) NOT NULL'),))
        database.execute_sql(f"PRAGMA schema_version = {version + 1}")
        database.execute_sql("PRAGMA writable_schema = OFF")
        for n, (user_id, phone, created) in enumerate([("usr_a", "+962 79 123 4567", "2025-01-01"),
                                                        ("usr_b", "+962791234567", "2025-02-01"),
                                                        ("usr_c", "not a phone", "2025-03-01")]):
            database.execute_sql(
                'INSERT INTO "user" (id, email, password_hash, first_name, last_name, phone, role, is_active, '
                "is_verified, created_at, updated_at) VALUES (?, ?, '!', '', '', ?, 'customer', 1, 0, ?, ?)",
                (user_id, f"u{n}@example.com", phone, created, created))
        database.execute_sql("INSERT INTO refresh_token (id, user_id, token_hash, family, expires_at, created_at) "
                             "VALUES ('rtk_1', 'usr_a', 'h', 'f', '2030-01-01', '2025-01-01')")

        assert apply_migrations() == migration_names()[migration_names().index("0012_mfa") + 1:]
        rows = database.execute_sql('SELECT id, phone, phone_hash FROM "user" ORDER BY id').fetchall()
        assert all(phone.startswith("v1:") for _, phone, _ in rows)
        assert rows[0][2] and rows[1][2] is None and rows[2][2] is None  # the oldest holder keeps the identity
        assert [User.get_by_id(i).phone for i in ("usr_a", "usr_b", "usr_c")] == \
            ["+962791234567", "+962791234567", "not a phone"]
        assert database.execute_sql("SELECT count(*) FROM refresh_token").fetchone()[0] == 1  # no cascade
        User.create(email=None, password_hash="!", phone="+962790000000")  # email is nullable now
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_columns_added_to_a_referenced_table_keep_the_rows_that_refer_to_it(tmp_path):
    """0018 adds NOT NULL columns to `product`, which variants, images and cart lines refer to with
    ON DELETE CASCADE: on SQLite the columns must be added in place (a table rebuild drops the old
    table, and with foreign keys on that deletes every row referring to it)."""
    init_database(f"sqlite:///{tmp_path / 'kinds.db'}")
    with database.connection_context():
        apply_migrations(target="0017_review_moderation")
        database.execute_sql("DROP INDEX IF EXISTS product_kind")
        database.execute_sql("DROP INDEX IF EXISTS product_is_featured")
        database.execute_sql("ALTER TABLE product DROP COLUMN kind")
        database.execute_sql("ALTER TABLE product DROP COLUMN is_featured")
        database.execute_sql("INSERT INTO product (id, handle, name, description, vendor, product_type, tags, status, "
                             "price, currency, seo_title, seo_description, attributes, options, customizations, "
                             "created_at, updated_at) VALUES ('prod_1', 'brie', 'Brie', '', '', '', '[]', 'active', "
                             "900, 'USD', '', '', '{\"milk\": \"cow\"}', '[]', '[]', '2025-01-01', '2025-01-01')")
        database.execute_sql("INSERT INTO variant (id, product_id, name, price, option_values, low_stock_threshold, "
                             "position, requires_shipping, created_at, updated_at) VALUES ('var_1', 'prod_1', "
                             "'Default', 900, '[]', 10, 1, 1, '2025-01-01', '2025-01-01')")
        database.execute_sql("INSERT INTO product_image (id, product_id, url, alt_text, sort_order) "
                             "VALUES ('img_1', 'prod_1', 'https://img.example/brie.jpg', '', 1)")
        apply_migrations()
        assert database.execute_sql("SELECT count(*) FROM variant").fetchone()[0] == 1
        assert database.execute_sql("SELECT count(*) FROM product_image").fetchone()[0] == 1
        kind, featured = database.execute_sql("SELECT kind, is_featured FROM product").fetchone()
        assert (kind, featured) == ("cheese", 0)  # the backfill read its attributes
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_0024_gives_an_existing_default_warehouse_every_region_and_first_place(tmp_path):
    """A database from before 0024: `warehouse` without location, regions or priority (rebuilt
    by dropping them, 0001 creating current tables) with the default and another warehouse."""
    init_database(f"sqlite:///{tmp_path / 'warehouses.db'}")
    with database.connection_context():
        apply_migrations(target="0023_purchasing")
        for column in ("address", "latitude", "longitude", "regions", "shipping_estimates", "priority", "active",
                       "created_at", "updated_at"):
            database.execute_sql(f"ALTER TABLE warehouse DROP COLUMN {column}")
        database.execute_sql("INSERT INTO warehouse (id, code, name, is_default) VALUES "
                             "('wh_default', 'default', 'Default warehouse', 1), ('wh_2', 'second', 'Second', 0)")

        assert apply_migrations(target="0024_warehouses") == ["0024_warehouses"]
        rows = database.execute_sql("SELECT id, regions, priority, active FROM warehouse ORDER BY id").fetchall()
        assert rows == [("wh_2", "[]", 100, 0), ("wh_default", '["*"]', 0, 1)]  # wh_2 was never sold from
        assert "order_allocation" in database.get_tables()


def test_0025_gives_existing_discount_codes_the_promotion_columns(tmp_path):
    """A database from before 0025: `discount_code` without the promotion columns and no
    `discount_use`; a code there keeps working (no cap, no per-customer limit, the whole cart)."""
    init_database(f"sqlite:///{tmp_path / 'promotions.db'}")
    with database.connection_context():
        apply_migrations(target="0024_warehouses")
        database.execute_sql("DROP TABLE IF EXISTS discount_use")
        database.execute_sql("DROP TABLE discount_code")  # SQLite cannot drop foreign-key columns: the old shape
        database.execute_sql("CREATE TABLE discount_code (id VARCHAR(40) PRIMARY KEY, code VARCHAR(50) UNIQUE, "
                             "kind VARCHAR(20), value INTEGER, minimum_amount INTEGER, usage_limit INTEGER, "
                             "usage_count INTEGER, starts_at DATETIME, ends_at DATETIME, active INTEGER, "
                             "created_at DATETIME)")
        database.execute_sql("INSERT INTO discount_code (id, code, kind, value, minimum_amount, usage_count, active, "
                             "created_at) VALUES ('disc_1', 'SAVE20', 'percentage', 20, 0, 3, 1, '2025-01-01')")

        assert apply_migrations(target="0025_promotions") == ["0025_promotions"]
        row = database.execute_sql("SELECT description, maximum_discount, per_customer_limit, category_ids, "
                                   "product_ids, customer_id, usage_count FROM discount_code").fetchone()
        assert row == ("", None, None, "[]", "[]", None, 3)
        assert "discount_use" in database.get_tables()


def test_0028_adds_the_order_carrier_timeline_and_deliveries(tmp_path):
    init_database(f"sqlite:///{tmp_path / 'tracking.db'}")
    with database.connection_context():
        apply_migrations(target="0025_promotions")
        database.execute_sql('ALTER TABLE "order" DROP COLUMN carrier')
        for table in ("order_event", "order_delivery"):
            database.execute_sql(f"DROP TABLE IF EXISTS {table}")
        assert apply_migrations(target="0028_order_tracking")[-1] == "0028_order_tracking"
        assert "carrier" in {c.name for c in database.get_columns("order")}
        assert {"order_event", "order_delivery"} <= set(database.get_tables())


def test_0027_adds_loyalty_tiers_and_puts_existing_accounts_in_their_tier(tmp_path):
    """A database from before 0027: `loyalty_account` without `tier` and no `loyalty_tier`; the
    default tiers are written and each account gets the tier its lifetime points reach."""
    names = migration_names()
    init_database(f"sqlite:///{tmp_path / 'loyalty.db'}")
    with database.connection_context():
        apply_migrations(target=names[names.index("0027_loyalty_tiers") - 1])
        database.execute_sql("DROP TABLE IF EXISTS loyalty_tier")
        database.execute_sql("ALTER TABLE loyalty_account DROP COLUMN tier")
        for index, lifetime in enumerate((0, 999, 1000, 6000, 20000)):
            database.execute_sql(f"INSERT INTO \"user\" (id, email, password_hash, first_name, last_name, role, "
                                 f"is_active, is_verified, created_at, updated_at) VALUES ('usr_{index}', "
                                 f"'u{index}@example.com', '!', '', '', 'customer', 1, 0, '2025-01-01', '2025-01-01')")
            database.execute_sql("INSERT INTO loyalty_account (id, user_id, points_balance, lifetime_earned, "
                                 "last_activity_at, created_at, updated_at) VALUES "
                                 f"('lya_{index}', 'usr_{index}', 0, {lifetime}, '2025-01-01', '2025-01-01', "
                                 "'2025-01-01')")

        assert apply_migrations(target="0027_loyalty_tiers") == ["0027_loyalty_tiers"]
        tiers = database.execute_sql("SELECT name, min_points, multiplier_permille FROM loyalty_tier "
                                     "ORDER BY min_points").fetchall()
        assert tiers == [("bronze", 0, 1000), ("silver", 1000, 1250), ("gold", 5000, 1500), ("platinum", 15000, 2000)]
        rows = database.execute_sql("SELECT tier FROM loyalty_account ORDER BY id").fetchall()
        assert [r[0] for r in rows] == ["bronze", "bronze", "silver", "gold", "platinum"]


def test_0029_marks_existing_refunds_as_cancellations(tmp_path):
    init_database(f"sqlite:///{tmp_path / 'refunds.db'}")
    with database.connection_context():
        apply_migrations(target="0028_order_tracking")
        for column in ("kind", "lines"):
            database.execute_sql(f"ALTER TABLE refund DROP COLUMN {column}")
        assert apply_migrations(target="0029_manual_refunds")[-1] == "0029_manual_refunds"
        columns = {c.name for c in database.get_columns("refund")}
        assert {"kind", "lines", "created_by_id"} <= columns


def test_0030_widens_the_payment_status_on_postgresql(db):
    """The migrated test database (PostgreSQL on the TEST_DATABASE_URL pass) holds `partially_refunded`."""
    from models.db import is_postgres
    from models.orders import Order

    assert Order.payment_status.max_length >= len("partially_refunded")
    if is_postgres():
        rows = db.execute_sql("SELECT character_maximum_length FROM information_schema.columns "
                              "WHERE table_name = 'order' AND column_name = 'payment_status'").fetchall()
        assert rows and rows[0][0] >= 20


def test_0032_adds_shipping_zones_and_the_orders_delivery_date(tmp_path):
    """A database from before 0032 (whatever migration precedes it: 0031 may come from another
    branch): no `shipping_zone`, no `order.delivery_date`; the zones themselves are written on
    first use (services.orders.shipping_zones), not by the migration."""
    names = migration_names()
    init_database(f"sqlite:///{tmp_path / 'zones.db'}")
    with database.connection_context():
        apply_migrations(target=names[names.index("0032_shipping_zones") - 1])
        database.execute_sql("DROP TABLE IF EXISTS shipping_zone")
        database.execute_sql('ALTER TABLE "order" DROP COLUMN delivery_date')
        assert apply_migrations(target="0032_shipping_zones")[-1] == "0032_shipping_zones"
        assert "delivery_date" in {c.name for c in database.get_columns("order")}
        assert "shipping_zone" in database.get_tables()
        assert database.execute_sql("SELECT count(*) FROM shipping_zone").fetchone()[0] == 0


def test_0036_adds_the_recipe_tables(tmp_path):
    """A database from before 0036 (whatever migration precedes it) gets `recipe` and
    `recipe_ingredient`, empty (the demo recipes are services.demo's)."""
    names = migration_names()
    init_database(f"sqlite:///{tmp_path / 'recipes.db'}")
    with database.connection_context():
        apply_migrations(target=names[names.index("0036_recipes") - 1])
        database.execute_sql("DROP TABLE IF EXISTS recipe_ingredient")
        database.execute_sql("DROP TABLE IF EXISTS recipe")
        assert apply_migrations(target="0036_recipes")[-1] == "0036_recipes"
        assert {"recipe", "recipe_ingredient"} <= set(database.get_tables())
        assert {"total_minutes", "is_published", "category_id"} <= {c.name for c in database.get_columns("recipe")}
        assert database.execute_sql("SELECT count(*) FROM recipe").fetchone()[0] == 0
