"""The pool admin on the command line: the same operations as the HTTP admin API.

    python -m services.pool_allocator.cli add-key <torbox-key> [--priority N] [--max-user-slots N]
                                                               [--max-streams N] [--label TEXT]
    python -m services.pool_allocator.cli list-keys
    python -m services.pool_allocator.cli add-user <email> [--password-stdin] [--sub-type free|pro|premium]
                                                           [--trial-days N]
    python -m services.pool_allocator.cli show-user <uuid>

It talks to the database of DATABASE_URL, or of the running `make run` (var/stack.json). Keys are never
printed, only their masked form. A TorBox key given as `-` is read from standard input (keeps it out of
the shell history and the process list).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from pathlib import Path

import msgspec

from libs.config import load_settings, service_settings
from libs.crypto import SecretBox
from libs.db import create_pool, migrate
from libs.errors import DomainError
from libs.schemas.pool_admin import KeyCreate, UserCreate
from libs.telemetry import configure_logging

from .admin import Admin, parse_id
from .app import MIGRATIONS, SERVICE
from .cache import AccessCache
from .config import PoolConfig
from .invalidation import Invalidator


def database_url(settings) -> str:
    if settings.database_url:
        return settings.database_url
    state = Path(settings.data_dir) / "stack.json"
    if state.is_file():
        return json.loads(state.read_text())["databaseUrl"]
    raise SystemExit("no database: set DATABASE_URL, or start Chillproxy with `make run` first")


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m services.pool_allocator.cli", description="TorBox key pool admin")
    commands = cli.add_subparsers(dest="command", required=True)
    add_key = commands.add_parser("add-key", help="add a TorBox key to the pool")
    add_key.add_argument("api_key", help="the TorBox API key, or - to read it from standard input")
    add_key.add_argument("--priority", type=int, default=0)
    add_key.add_argument("--max-user-slots", type=int, default=100)
    add_key.add_argument("--max-streams", type=int, default=35)
    add_key.add_argument("--label")
    commands.add_parser("list-keys", help="list the keys with their slot and stream figures")
    add_user = commands.add_parser("add-user", help="create a user")
    add_user.add_argument("email")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_user.add_argument("--sub-type", choices=["free", "pro", "premium"], default="free")
    add_user.add_argument("--trial-days", type=int)
    show_user = commands.add_parser("show-user", help="a user's subscription, slot and devices")
    show_user.add_argument("uuid")
    return cli


def show(value: object) -> None:
    print(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


async def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging("pool-cli", "warning", stream=sys.stderr)  # standard output is for the answer
    config = service_settings(PoolConfig, settings.env)
    db = await create_pool(database_url(settings), min_size=1, max_size=2, service="pool-cli")
    try:
        await migrate(db, SERVICE, MIGRATIONS)
        admin = Admin(db, SecretBox(settings.secret_key), config, Invalidator(AccessCache(0), None))
        if args.command == "add-key":
            raw = sys.stdin.readline().strip() if args.api_key == "-" else args.api_key
            body = msgspec.convert(
                {
                    "apiKey": raw,
                    "priority": args.priority,
                    "maxUserSlots": args.max_user_slots,
                    "maxConcurrentStreams": args.max_streams,
                    "label": args.label,
                },
                KeyCreate,
            )
            show(await admin.add_key(body))
        elif args.command == "list-keys":
            show(await admin.list_keys())
        elif args.command == "add-user":
            generated = not args.password_stdin
            password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\n")
            body = msgspec.convert(
                {"email": args.email, "password": password, "subType": args.sub_type, "trialDays": args.trial_days},
                UserCreate,
            )
            user = await admin.add_user(body)
            show(user)
            if generated:
                print(f"password (shown once): {password}", file=sys.stderr)
        elif args.command == "show-user":
            show(await admin.user(parse_id(args.uuid, "user id")))
        return 0
    except msgspec.ValidationError as error:
        print(f"invalid input: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"{error.error}: {error.message}", file=sys.stderr)
        return 1
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parser().parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
