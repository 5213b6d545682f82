from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "tidings.site"
    label = "site"
    verbose_name = "Reader site"
