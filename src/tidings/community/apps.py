from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "tidings.community"
    label = "community"
    verbose_name = "Community"
