"""OCMS persistence: models, engines, unit of work, migrations, queries and seed data."""
