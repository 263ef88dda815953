"""Loaded by pytest before Django reads its settings (`-p civicdesk.core.testing.env` in
pyproject.toml): the environment every test run starts from. Values already set win."""

import os
import tempfile

os.environ.setdefault("CIVICDESK_SECURE", "false")  # the test client and live server speak http
os.environ.setdefault("CIVICDESK_WEBAUTHN_INSECURE_ORIGIN", "true")
os.environ.setdefault("CIVICDESK_VAR_DIR", tempfile.mkdtemp(prefix="civicdesk-test-"))
os.environ.setdefault("EMAIL_URL", "memory://")
os.environ.pop("REDIS_URL", None)  # tests use the database task queue unless a test says otherwise
# Playwright runs an event loop in the test thread; pytest-django's database access is sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
