"""Send one message with aiosmtplib.send(). Output: the uncaught traceback."""
import asyncio
import sys
from email.message import EmailMessage

import aiosmtplib

HOST, PORT, MODE, USER, PASSWORD, FROM, TO = sys.argv[1:8]


async def main() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Test message"
    msg["From"] = FROM
    msg["To"] = TO
    msg.set_content("Hello from aiosmtplib.")
    await aiosmtplib.send(
        msg,
        hostname=HOST,
        port=int(PORT),
        username=None if USER == "-" else USER,
        password=None if USER == "-" else PASSWORD,
        use_tls=MODE == "tls",
        start_tls=MODE == "starttls",
        timeout=5,
    )


asyncio.run(main())
