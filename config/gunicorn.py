"""Gunicorn settings for the web service (``gunicorn -c python:config.gunicorn``).

Gunicorn's own lines (start-up, worker restarts, the access log) use the application's
``LOGGING`` (``config.logs``), so ``LOG_FORMAT=json`` gives one JSON object per line from the
whole web process. Each access line ends with the request id the application put on the response.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from django.conf import settings  # noqa: E402

logconfig_dict = settings.LOGGING
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
