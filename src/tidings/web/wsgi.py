"""WSGI entry point: ``tidings.web.wsgi:application``."""

import os

from tidings.web import make_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.web.settings")
application = make_wsgi_application()
