from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "civicdesk.geo"
    label = "geo"
