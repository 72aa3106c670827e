"""Alembic migrations for the bot's database (a package so it ships in the wheel)."""
