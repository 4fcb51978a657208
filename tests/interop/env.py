"""Alembic environment for the interoperability twins.

Runs each revision in its own transaction (transaction_per_migration=True),
as retort does, against the database named by RETORT_INTEROP_DSN, in the
default alembic_version table.  Online mode only.
"""
import os

import psycopg2
from alembic import context
from sqlalchemy import create_engine, pool


def run_migrations_online():
    dsn = os.environ.get("RETORT_INTEROP_DSN")
    if not dsn:
        raise SystemExit("env.py: set RETORT_INTEROP_DSN to the database")
    # psycopg2 takes the DSN as is (URI or keyword/value string).
    engine = create_engine(
        "postgresql+psycopg2://",
        creator=lambda: psycopg2.connect(dsn),
        poolclass=pool.NullPool,
    )
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=None,
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("env.py: offline (--sql) mode is not used here")
run_migrations_online()
