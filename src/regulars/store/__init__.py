"""Persistence: SQLAlchemy 2 tables, repositories, the unit of work and Alembic migrations.

SQLite (a file in the working directory) by default, PostgreSQL through psycopg 3 in
production. This package is the only one that knows SQL dialects.
"""
