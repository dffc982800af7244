import os

from django.core.wsgi import get_wsgi_application

from core import gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
# The app loaded, its objects live as long as the worker: out of the collector's sight (core/gc.py).
gc.freeze()
