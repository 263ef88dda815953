"""Staff accounts, offices, memberships and roles, invitations and API tokens.

`permissions.py` is the one place that says what each role may do; `access.py` holds the view
decorators and the one way to fetch an office's objects for a person."""
