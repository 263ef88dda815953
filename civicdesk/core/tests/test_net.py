from django.test import RequestFactory

from civicdesk.core.net import client_ip


def test_client_ip_is_the_socket_peer_by_default(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6")

    assert client_ip(request) == "198.51.100.4"


def test_client_ip_behind_a_trusted_proxy_is_the_address_the_proxy_appended(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client forged the first entry; the proxy appended the real peer last.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )

    assert client_ip(request) == "203.0.113.9"
