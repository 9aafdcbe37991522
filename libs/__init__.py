"""Shared code of the Chillproxy services: schemas, bus, db, telemetry, web helpers, embedded servers."""
