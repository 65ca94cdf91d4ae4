"""Send one message with Django's send_mail() and EMAIL_* settings. Output: the uncaught traceback."""
import sys

import django
from django.conf import settings

HOST, PORT, MODE, USER, PASSWORD, FROM, TO = sys.argv[1:8]

settings.configure(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    EMAIL_HOST=HOST,
    EMAIL_PORT=int(PORT),
    EMAIL_HOST_USER="" if USER == "-" else USER,
    EMAIL_HOST_PASSWORD="" if USER == "-" else PASSWORD,
    EMAIL_USE_TLS=MODE == "starttls",
    EMAIL_USE_SSL=MODE == "tls",
    EMAIL_TIMEOUT=5,
    DEFAULT_FROM_EMAIL=FROM,
)
django.setup()

from django.core.mail import send_mail  # noqa: E402

send_mail("Test message", "Hello from Django.", FROM, [TO], fail_silently=False)
