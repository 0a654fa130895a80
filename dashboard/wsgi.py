import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from agents.request_turns import taking_turns

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = taking_turns(get_wsgi_application(), at_once=settings.WEB_REQUESTS_AT_ONCE)
