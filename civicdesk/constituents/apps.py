from django.apps import AppConfig


class ConstituentsConfig(AppConfig):
    name = "civicdesk.constituents"
    label = "constituents"
