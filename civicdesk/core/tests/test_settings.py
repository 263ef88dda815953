"""The environment helpers of settings.py: strict, with clear messages."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicdesk.settings import _email_settings, env_bool, env_int, env_list


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("false", False), ("0", False),
     ("no", False), ("", True)],
)  # fmt: skip
def test_env_bool_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("CIVICDESK_TEST_FLAG", value)

    assert env_bool("CIVICDESK_TEST_FLAG", default=True) is expected


def test_env_bool_rejects_maybe(monkeypatch):
    monkeypatch.setenv("CIVICDESK_TEST_FLAG", "maybe")

    with pytest.raises(
        ImproperlyConfigured, match="CIVICDESK_TEST_FLAG='maybe': use true or false."
    ):
        env_bool("CIVICDESK_TEST_FLAG", default=False)


def test_env_bool_falls_back_to_the_default(monkeypatch):
    monkeypatch.delenv("CIVICDESK_TEST_FLAG", raising=False)

    assert env_bool("CIVICDESK_TEST_FLAG", default=False) is False


def test_env_int_rejects_words(monkeypatch):
    monkeypatch.setenv("CIVICDESK_TEST_NUMBER", "ten")

    with pytest.raises(ImproperlyConfigured, match="use a whole number"):
        env_int("CIVICDESK_TEST_NUMBER", 3)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("CIVICDESK_TEST_LIST", " a.example , b.example,, ")

    assert env_list("CIVICDESK_TEST_LIST", []) == ["a.example", "b.example"]


def test_email_url_with_tls_and_an_escaped_password():
    assert _email_settings("smtp+tls://user:pa%40ss@mail.example.org:2525") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "user",
        "EMAIL_HOST_PASSWORD": "pa@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [("smtp://mail.example.org", 25, False, False), ("smtp+tls://mail.example.org", 587, True, False),
     ("smtp+ssl://mail.example.org", 465, False, True)],
)  # fmt: skip
def test_email_url_default_ports(url, port, tls, ssl):
    parsed = _email_settings(url)

    assert (parsed["EMAIL_PORT"], parsed["EMAIL_USE_TLS"], parsed["EMAIL_USE_SSL"]) == (
        port,
        tls,
        ssl,
    )


@pytest.mark.parametrize(
    ("url", "backend"),
    [("console://", "console"), ("memory://", "locmem"), ("file:///var/mail", "filebased")],
)
def test_email_url_other_backends(url, backend):
    assert (
        _email_settings(url)["EMAIL_BACKEND"] == f"django.core.mail.backends.{backend}.EmailBackend"
    )


def test_email_url_with_an_unknown_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme 'pop3' is not one of"):
        _email_settings("pop3://mail.example.org")
