app_name = "dedupe"
urlpatterns: list = []
