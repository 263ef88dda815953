"""Office isolation: a person of office A asking for anything of office B gets 404, exactly like
for something that does not exist.

The walk below visits every URL pattern and every API operation, fills its path parameters with
ids of Ward 2's objects and asks as Ward 1's admin (`adam` holds every permission, so a 403 cannot
hide a leak). It also fails when a route declares no access policy, names a permission the table
does not know, or has a path parameter the walk has no object for: a new route forces a decision.
"""

import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from ninja import Router

from civicdesk.accounts.models import ApiToken, Invitation, Membership, Office
from civicdesk.accounts.permissions import PERMISSIONS
from civicdesk.accounts.tests.isolation import OfficeSide
from civicdesk.api import api
from civicdesk.audit.models import AuditEvent
from civicdesk.core.access import POLICY_ATTRIBUTE, policy_of, public_view, require_member
from civicdesk.jobs.models import Job

# ---------------------------------------------------------------- walking the routes


@dataclass(frozen=True)
class Route:
    route: str  # "office/staff/<int:member_id>/"
    name: str  # "accounts:staff-detail"
    params: tuple[str, ...]
    callback: Callable


def iter_routes(patterns: Iterable, prefix: str = "", namespace: str = "", params=()) -> Iterator:
    """Every URLPattern under `patterns`, nested resolvers included, with its full route."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        found = params + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_routes(entry.url_patterns, route, inner, found)
        else:
            assert isinstance(entry, URLPattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(route, name, found, entry.callback)


@dataclass(frozen=True)
class ThirdParty:
    """Routes we did not write, allowed without a CivicDesk policy. Every part given must match."""

    why: str
    module: str | None = None  # prefix of the view's module
    namespace: str | None = None
    names: frozenset[str] = field(default_factory=frozenset)


THIRD_PARTY = (
    # allauth: sign-in, sign-out, password and two-factor pages. They act on the signed-in person
    # only, never on an office's records; allauth checks who may use them.
    ThirdParty("allauth account pages", module="allauth."),
    # The REST API's operations: ninja routes each request to one operation, and every operation
    # is checked one by one by the API walk in this file (policy, parameters, 404 for Ward 2).
    ThirdParty("API operations (walked below)", module="ninja.operation", namespace="api"),
    # The API's root and its OpenAPI description and docs page: public, no office data.
    ThirdParty(
        "API description",
        namespace="api",
        names=frozenset({"api:api-root", "api:openapi-json", "api:openapi-view"}),
    ),
)


def third_party(route: Route) -> ThirdParty | None:
    module = getattr(route.callback, "__module__", "") or ""
    namespace = route.name.rpartition(":")[0]
    for allowed in THIRD_PARTY:
        if allowed.module is not None and not module.startswith(allowed.module):
            continue
        if allowed.namespace is not None and namespace != allowed.namespace:
            continue
        if allowed.names and route.name not in allowed.names:
            continue
        return allowed
    return None


def check_policy(policy: str | None) -> str | None:
    """What is wrong with a declared policy, or None when it is fine."""
    if policy is None:
        return "declares no access policy (require_member, login_only or public_view)"
    if policy in {"public", "login"}:
        return None
    if policy.startswith("member:"):
        permission = policy.removeprefix("member:")
        if permission not in PERMISSIONS:
            return f"needs permission {permission!r}, which accounts/permissions.py does not know"
        return None
    return f"has an unknown policy {policy!r}"


def policy_problems(routes: Iterable[Route]) -> list[str]:
    problems = []
    for route in routes:
        if third_party(route):
            continue
        callback = route.callback
        qualname = f"{callback.__module__}.{getattr(callback, '__qualname__', repr(callback))}"
        if not route.name:
            problems.append(
                f"{route.route} ({qualname}) has no URL name: the walk cannot reverse it"
            )
        if problem := check_policy(policy_of(route.callback)):
            problems.append(f"{route.route} ({qualname}) {problem}")
    return problems


def project_routes(patterns=None) -> list[Route]:
    routes = iter_routes(get_resolver().url_patterns if patterns is None else patterns)
    return [route for route in routes if not third_party(route)]


# ---------------------------------------------------------------- one object of each kind per office


def collect_from_apps() -> tuple[dict[str, Callable], dict[str, Callable]]:
    """OBJECT_MAKERS and API_BODIES of every app's tests/isolation.py (see accounts' for the
    contract). A parameter name means one kind of object everywhere: two apps may not claim it."""
    makers: dict[str, Callable] = {}
    bodies: dict[str, Callable] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("civicdesk."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.isolation")
        except ModuleNotFoundError as exc:
            if exc.name in {f"{config.name}.tests", f"{config.name}.tests.isolation"}:
                continue
            raise
        for param, make in module.OBJECT_MAKERS.items():
            assert param not in makers, f"{config.name} and another app both make {param!r}"
            makers[param] = make
        bodies.update(getattr(module, "API_BODIES", {}))
    return makers, bodies


OBJECT_MAKERS, API_BODIES = collect_from_apps()
# Parameters that are credentials themselves: allowed only on public routes; a wrong one is a 404.
SECRET_PARAMS = {"secret"}


def unknown_params(routes: Iterable[Route]) -> list[str]:
    known = OBJECT_MAKERS.keys() | SECRET_PARAMS
    return [
        f"{route.route} ({route.name}): the walk has no object for parameter {param!r} "
        "(add a maker to the app's tests/isolation.py)"
        for route in routes
        for param in route.params
        if param not in known
    ]


def make_objects(side: OfficeSide, params: Iterable[str]) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for param in params:
        made[param] = OBJECT_MAKERS[param](side, made)
    return made


def ids(made: dict[str, Any]) -> dict[str, Any]:
    return {param: getattr(obj, "pk", obj) for param, obj in made.items()}


@pytest.fixture
def ward1_side(ward1, adam, alice) -> OfficeSide:
    return OfficeSide(ward1, adam, alice)


@pytest.fixture
def ward2_objects(ward2, dora, carol) -> dict[str, Any]:
    """One object of Ward 2 for every parameter the walk knows."""
    return make_objects(OfficeSide(ward2, dora, carol), OBJECT_MAKERS)


def office_state(office: Office, objects: dict[str, Any]) -> dict[str, list[dict]]:
    """Every row of the office that the walk could touch, to show that nothing changed."""
    models = {Office, Membership, Invitation, ApiToken, Job, AuditEvent}
    models |= {type(obj) for obj in objects.values() if isinstance(obj, Model)}
    state = {}
    for model in sorted(models, key=lambda m: m._meta.label):
        rows = model.objects.filter(pk=office.pk) if model is Office else None
        if rows is None:
            rows = model.objects.filter(office=office)
        state[model._meta.label] = list(rows.order_by("pk").values())
    return state


# ---------------------------------------------------------------- the checks themselves


def status(client, method: str, url: str) -> int:
    response = client.generic(method, url)
    if response.streaming:
        # A file download holds its file open until read to the end. (Not response.close():
        # outside the test client it fires close_old_connections, which ends the test's
        # transaction on PostgreSQL.)
        b"".join(response.streaming_content)
    return response.status_code


def test_every_project_view_declares_an_access_policy():
    assert policy_problems(iter_routes(get_resolver().url_patterns)) == []


def test_every_third_party_allowance_is_still_used():
    used = {third_party(route) for route in iter_routes(get_resolver().url_patterns)}

    assert [allowed.why for allowed in THIRD_PARTY if allowed not in used] == []


def test_the_walk_sees_the_foundation_routes():
    names = {route.name for route in project_routes()}
    assert {
        "healthz",
        "reports:home",
        "accounts:staff-detail",
        "accounts:revoke-token",
        "jobs:job-download",
        "audit:event-list",
    } <= names


def test_a_view_without_a_policy_fails_the_check():
    def undecorated(request, thing_id):
        return HttpResponse("Ward 2's secrets")

    @public_view
    def healthy(request):
        return HttpResponse("ok")

    fake = [
        path("fine/", healthy, name="fine"),
        path("nested/", include(([path("<int:thing_id>/", undecorated, name="thing")], "fake"))),
    ]

    assert policy_problems(iter_routes(fake)) == [
        "nested/<int:thing_id>/ (civicdesk.accounts.tests.test_isolation."
        "test_a_view_without_a_policy_fails_the_check.<locals>.undecorated) declares no access "
        "policy (require_member, login_only or public_view)"
    ]


def test_a_view_naming_an_unknown_permission_fails_the_check():
    @require_member("constituent.teleport")
    def teleport(request):
        return HttpResponse()

    problems = policy_problems(iter_routes([path("teleport/", teleport, name="teleport")]))

    assert len(problems) == 1
    assert problems[0].endswith(
        "needs permission 'constituent.teleport', which accounts/permissions.py does not know"
    )


def test_a_project_view_in_a_third_party_namespace_is_still_checked():
    def sneaky(request):
        return HttpResponse()

    fake = [path("api/v1/", include(([path("sneaky/", sneaky, name="sneaky")], "api")))]

    assert len(policy_problems(iter_routes(fake))) == 1


def test_every_url_parameter_is_known_to_the_walk():
    assert unknown_params(project_routes()) == []


def test_a_new_url_parameter_fails_the_walk():
    @require_member("dashboard.view")
    def widget_detail(request, widget_id):
        return HttpResponse()

    routes = project_routes([path("widgets/<int:widget_id>/", widget_detail, name="widget-detail")])

    assert unknown_params(routes) == [
        "widgets/<int:widget_id>/ (widget-detail): the walk has no object for parameter 'widget_id' "
        "(add a maker to the app's tests/isolation.py)"
    ]


def test_adam_holds_every_permission_so_403_cannot_hide_a_leak(adam):
    assert [name for name in PERMISSIONS if not adam.can(name)] == []


def test_every_route_answers_404_for_another_offices_objects(web, adam, ward2, ward2_objects):
    client = web(adam)
    before = office_state(ward2, ward2_objects)
    walked, leaks = [], []
    for route in project_routes():
        if not route.params or SECRET_PARAMS & set(route.params):
            continue
        url = reverse(route.name, kwargs=ids({p: ward2_objects[p] for p in route.params}))
        answers = {method: status(client, method, url) for method in ("GET", "POST")}
        # 405: the view refuses the method before looking anything up (require_POST).
        if set(answers.values()) - {404, 405} or 404 not in answers.values():
            leaks.append(f"{url} ({route.name}) answered {answers}")
        walked.append(route.name)

    assert leaks == []
    assert office_state(ward2, ward2_objects) == before
    assert set(walked) >= {
        "accounts:staff-detail",
        "accounts:revoke-invitation",
        "accounts:revoke-token",
        "jobs:job-detail",
        "jobs:job-download",
    }


def test_every_route_finds_the_own_offices_objects(web, adam, ward1_side, ward2_objects):
    """The same walk with Ward 1's ids: the 404s above come from the office check, not from
    wrong URLs. Each route gets fresh objects: a POST may delete what it was given."""
    client = web(adam)
    not_found = []
    for route in project_routes():
        if not route.params or SECRET_PARAMS & set(route.params):
            continue
        url = reverse(route.name, kwargs=ids(make_objects(ward1_side, route.params)))
        answers = {method: status(client, method, url) for method in ("GET", "POST")}
        if not set(answers.values()) - {404, 405}:
            not_found.append(f"{url} ({route.name}) answered {answers}")

    assert not_found == []


def test_secret_links_are_public_and_a_wrong_secret_is_404(client, ward2_objects):
    secret_routes = [r for r in project_routes() if SECRET_PARAMS & set(r.params)]

    assert [r.name for r in secret_routes] == ["accounts:accept-invitation", "casework:status-page"]
    for route in secret_routes:
        assert policy_of(route.callback) == "public"
        url = reverse(route.name, kwargs=dict.fromkeys(route.params, "not-the-secret"))
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404


def test_pages_without_ids_show_nothing_of_another_office(
    web, adam, ward1_side, ward2, ward2_objects
):
    make_objects(ward1_side, OBJECT_MAKERS)
    client = web(adam)
    shown = []
    for route in project_routes():
        if route.params:
            continue
        response = client.get(reverse(route.name))
        assert response.status_code < 500
        content = b"".join(response).decode() if response.streaming else response.text
        if ward2.name in content or "ward2.example" in content or ward2.slug in content:
            shown.append(route.name)

    assert shown == []


# ---------------------------------------------------------------- the API


@dataclass(frozen=True)
class ApiOperation:
    path: str  # "/members/{member_id}"
    methods: tuple[str, ...]
    view_func: Callable

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(?:\w+:)?(\w+)}", self.path))

    def url(self, ids: dict[str, Any]) -> str:
        return "/api/v1" + re.sub(r"{(?:\w+:)?(\w+)}", lambda m: str(ids[m[1]]), self.path)


def operations_of(path_operations: dict, prefix: str = "") -> list[ApiOperation]:
    return [
        ApiOperation(
            "/" + "/".join(p.strip("/") for p in (prefix, route) if p.strip("/")),
            tuple(operation.methods),
            operation.view_func,
        )  # fmt: skip
        for route, path_view in path_operations.items()
        for operation in path_view.operations
    ]


def api_operations() -> list[ApiOperation]:
    get_resolver().url_patterns  # noqa: B018  (building the URLs binds ninja's routers)
    # ninja 1.7: each mounted router (nested ones included) is bound once, with its full prefix.
    return [
        operation
        for bound in api._get_bound_routers()
        for operation in operations_of(bound.path_operations, bound.prefix)
    ]


def api_policy(view_func: Callable) -> str | None:
    """The policy marked by `needs()`, looking through decorators that wrap it."""
    func: Any = view_func
    while func is not None:
        if policy := getattr(func, POLICY_ATTRIBUTE, None):
            return policy
        func = getattr(func, "__wrapped__", None)
    return None


def api_problems(operations: Iterable[ApiOperation]) -> list[str]:
    problems = []
    known = OBJECT_MAKERS.keys()
    for operation in operations:
        where = f"{'/'.join(operation.methods)} {operation.path} ({operation.view_func.__name__})"
        if problem := check_policy(api_policy(operation.view_func)):
            problems.append(f"{where} {problem}")
        problems += [
            f"{where}: the walk has no object for parameter {param!r} "
            "(add a maker to the app's tests/isolation.py)"
            for param in operation.params
            if param not in known
        ]
    return problems


def test_every_api_operation_declares_a_policy_and_known_parameters():
    operations = api_operations()

    assert api_problems(operations) == []
    assert {(o.methods, o.path) for o in operations} >= {
        (("GET",), "/me"),
        (("GET",), "/members/{member_id}"),
        (("GET",), "/jobs/{job_id}"),
        (("POST",), "/audit/verify"),
    }


def test_an_api_operation_without_a_policy_fails_the_check():
    router = Router()

    @router.get("/widgets/{widget_id}")
    def get_widget(request, widget_id: int):
        return {}

    assert api_problems(operations_of(router.path_operations)) == [
        "GET /widgets/{widget_id} (get_widget) declares no access policy "
        "(require_member, login_only or public_view)",
        "GET /widgets/{widget_id} (get_widget): the walk has no object for parameter 'widget_id' "
        "(add a maker to the app's tests/isolation.py)",
    ]


def body_for(operation: ApiOperation, side: OfficeSide, made: dict[str, Any]) -> str:
    build = API_BODIES.get(operation.view_func.__name__)
    return json.dumps(build(side, made) if build else {})


def test_every_api_operation_answers_404_for_another_offices_objects(
    api, adam, ward2, dora, carol, ward2_objects
):
    client = api(adam)
    ward2_side = OfficeSide(ward2, dora, carol)
    calls = [
        (method, operation, body_for(operation, ward2_side, made), operation.url(ids(made)))
        for operation in api_operations()
        if operation.params
        for made in [{p: ward2_objects[p] for p in operation.params}]
        for method in operation.methods
    ]
    before = office_state(ward2, ward2_objects)  # after the bodies made what they refer to
    leaks = []
    for method, operation, body, url in calls:
        response = client.generic(method, url, data=body, content_type="application/json")
        if response.status_code != 404 or response.json()["error"]["code"] != "not_found":
            leaks.append(
                f"{method} {operation.path} answered {response.status_code} {response.content}"
            )

    assert leaks == []
    assert office_state(ward2, ward2_objects) == before
    assert {f"{method} {operation.path}" for method, operation, _, _ in calls} >= {
        "GET /members/{member_id}",
        "GET /jobs/{job_id}",
    }


def test_every_api_operation_finds_the_own_offices_objects(api, adam, ward1_side):
    client = api(adam)
    not_found = []
    for operation in api_operations():
        if not operation.params:
            continue
        for method in operation.methods:
            made = make_objects(ward1_side, operation.params)
            response = client.generic(
                method,
                operation.url(ids(made)),
                data=body_for(operation, ward1_side, made),
                content_type="application/json",
            )
            if response.status_code in {404, 405, 422}:
                not_found.append(f"{method} {operation.path} answered {response.content}")

    assert not_found == []


def test_the_api_404_looks_like_a_missing_object(api, adam, carol):
    client = api(adam)
    other = client.get(f"/api/v1/members/{carol.pk}")
    missing = client.get("/api/v1/members/999999")

    assert (other.status_code, other.json()) == (missing.status_code, missing.json())
    assert missing.json() == {
        "error": {"code": "not_found", "message": "Not found.", "details": None}
    }
