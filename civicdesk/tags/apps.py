from django.apps import AppConfig


class TagsConfig(AppConfig):
    name = "civicdesk.tags"
    label = "tags"
