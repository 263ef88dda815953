"""The `civicdesk` command: every management command, plus run, serve and worker."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicdesk", *sys.argv[1:]])


if __name__ == "__main__":
    main()
