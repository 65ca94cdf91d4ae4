"""Send one message with Python's smtplib, the way its documentation shows. Output: the uncaught traceback."""
import smtplib
import ssl
import sys
from email.message import EmailMessage

HOST, PORT, MODE, USER, PASSWORD, FROM, TO = sys.argv[1:8]

msg = EmailMessage()
msg["Subject"] = "Test message"
msg["From"] = FROM
msg["To"] = TO
msg.set_content("Hello from smtplib.")

context = ssl.create_default_context()
if MODE == "tls":
    server = smtplib.SMTP_SSL(HOST, int(PORT), context=context, timeout=5)
else:
    server = smtplib.SMTP(HOST, int(PORT), timeout=5)
    if MODE == "starttls":
        server.starttls(context=context)
if USER != "-":
    server.login(USER, PASSWORD)
server.send_message(msg)
server.quit()
