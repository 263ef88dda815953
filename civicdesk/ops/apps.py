from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "civicdesk.ops"
    label = "ops"
