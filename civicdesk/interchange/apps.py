from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "civicdesk.interchange"
    label = "interchange"
    verbose_name = "Interchange"
