"""End-user mail clients (issue 11): recognised from their own dialog texts, and the fix speaks their menu words."""

from __future__ import annotations

import pytest

from bot.diagnose import diagnose
from bot.kb import KnowledgeBase
from bot.render.fix import fix_text

try:  # the knowledge/messages loader (issue 10 §2): these pastes are answered from the apps' own message files
    from bot.kb.model import KIND_WEIGHTS  # noqa: F401
    MESSAGES = True
except ImportError:
    MESSAGES = False
needs_messages = pytest.mark.skipif(not MESSAGES, reason="knowledge/messages is not loaded on this branch yet")


@pytest.mark.parametrize(("paste", "client"), [
    ("Task 'alice@example.com - Sending' reported error (0x800CCC0F) : 'The connection to the server was "
     "interrupted.'", "outlook_windows"),
    ("Send Message Error\nUnable to authenticate to Outgoing server (SMTP) smtp.example.com. Please check the "
     "password and verify the 'Authentication method' in 'Account Settings | Outgoing server (SMTP)'.", "thunderbird"),
    ("Cannot Send Mail\nA copy has been placed in your Outbox. The recipient \"bob@example.org\" was rejected by the "
     "server because it does not allow relaying.", "ios_mail"),
    ("Mac Mail: Cannot send message using the server smtp.example.com", "apple_mail"),
    ("Windows 10 Mail app: Something went wrong. Error code: 0x8007274c", "windows_mail"),
    ("new Outlook for Windows, IMAP account: 535 5.7.8 Error: authentication failed", "outlook_new"),
    ("Samsung Email: Couldn't finish. Couldn't open connection to server.", "samsung_email"),
    ("eM Client 10: 530 5.7.0 Authentication required", "em_client"),
    ("Thunderbird: Der Postausgangs-Server (SMTP) smtp.example.de kann nicht authentifiziert werden.", "thunderbird"),
])
def test_the_app_is_recognised_from_its_own_words(kb: KnowledgeBase, paste: str, client: str) -> None:
    assert diagnose(paste, kb=kb).facts.client == client


@needs_messages
@pytest.mark.parametrize(("paste", "cause", "menu_words"), [
    ("Outlook 2019, outgoing server (SMTP) 465, encrypted connection None:\nTask 'alice@example.com - Sending' "
     "reported error (0x800CCC0F) : 'Your server has unexpectedly terminated the connection.' Port: 465, "
     "Secure(SSL): No", "tls_mismatch", "Use the following type of encrypted connection"),
    ("Task 'sales@example.com - Sending' reported error (0x800CCC78) : 'Unable to send the message. Please verify "
     "the e-mail address in your account properties. The server responded: 530 5.7.0 Authentication required'",
     "auth_not_sent", "My outgoing server (SMTP) requires authentication"),
    ("Thunderbird: An error occurred while sending mail: Unable to establish a secure link with Outgoing server "
     "(SMTP) smtp.example.com using STARTTLS since it doesn't advertise that feature.", "tls_mismatch",
     "Connection security"),
    ("iPhone: Cannot Send Mail. The recipient \"bob@example.org\" was rejected by the server because it does not "
     "allow relaying.", "auth_not_sent", "Outgoing Mail Server"),
])
def test_the_fix_uses_the_apps_menu_words(kb: KnowledgeBase, paste: str, cause: str, menu_words: str) -> None:
    d = diagnose(paste, kb=kb)
    assert d.top is not None
    assert cause in [c.id for c in d.causes[:2]]
    assert menu_words in fix_text(d, kb, mrkdwn=False)
