"""``python -m harmmap users add NAME --role viewer|editor|admin --file FILE`` (password from a prompt or
``--password-stdin``) and ``users list --file FILE``: the password file of the dashboard's optional login."""

from __future__ import annotations

import getpass
import sys


def add_parser(sub):
    p = sub.add_parser("users", help="manage the dashboard's password file (optional login)",
                       description=__doc__.splitlines()[0])
    s = p.add_subparsers(dest="action", required=True)
    a = s.add_parser("add", help="add or replace a user")
    a.add_argument("name")
    a.add_argument("--role", choices=("viewer", "editor", "admin"), default="viewer")
    a.add_argument("--file", required=True, help="the password file (created if missing)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    ls = s.add_parser("list", help="users and roles")
    ls.add_argument("--file", required=True)
    return p


def run(args) -> int:
    from harmmap import auth

    try:
        if args.action == "add":
            pw = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
            auth.add_user(args.file, args.name, args.role, pw)
            print(f"{args.name} ({args.role}) saved in {args.file}")
        else:
            for name, (role, _) in auth.read_users(args.file).items():
                print(f"{name:30s} {role}")
    except (auth.AuthError, OSError) as exc:
        print(f"harmmap users: {exc}", file=sys.stderr)
        return 1
    return 0
