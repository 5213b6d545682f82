from django.apps import AppConfig


class AIWebConfig(AppConfig):
    name = "tidings.aiweb"
    label = "aiweb"
    verbose_name = "AI features"
