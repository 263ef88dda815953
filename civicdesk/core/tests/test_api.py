"""The API's shared shapes: every error is {"error": {"code", "message", "details"}}."""

from django.test import Client


def test_the_openapi_description_is_served(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "CivicDesk API"
    assert {"/api/v1/me", "/api/v1/members", "/api/v1/jobs/{job_id}"} <= set(schema["paths"])
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}


def test_the_docs_page_is_served_without_a_cdn(db):
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    assert "cdn.jsdelivr.net" not in response.text


def test_an_invalid_parameter_is_422_invalid(api, alice):
    response = api(alice).get("/api/v1/members/not-a-number")

    assert response.status_code == 422
    body = response.json()
    assert (body["error"]["code"], body["error"]["message"]) == (
        "invalid",
        "The request is not valid.",
    )
    assert [(d["loc"], d["type"]) for d in body["error"]["details"]] == [
        (["path", "member_id"], "int_parsing")
    ]


def test_a_missing_object_is_404_not_found(api, alice):
    response = api(alice).get("/api/v1/jobs/999999")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "details": None}
    }


def test_a_missing_permission_is_403_forbidden(api, alice):
    response = api(alice).get("/api/v1/audit/events")

    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "forbidden", "message": "Your role does not allow this.", "details": None}
    }


def test_a_wrong_method_is_405(api, alice):
    assert api(alice).delete("/api/v1/me").status_code == 405
