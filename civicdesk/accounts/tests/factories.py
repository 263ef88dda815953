"""Factories for accounts rows that the named people (root conftest.py) do not cover."""

import factory

from civicdesk.accounts.models import Membership, User
from civicdesk.accounts.permissions import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Staff Member {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A membership of `office` (required) with a new user."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.CASEWORKER
