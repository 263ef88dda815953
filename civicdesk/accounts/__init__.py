"""Staff accounts, offices, memberships and roles, invitations and API tokens.

`permissions.py` is the one place that says what each role may do; the view decorators that
ask it live in `core/access.py`, so that every app can use them."""
