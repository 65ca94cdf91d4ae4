"""normalize(): Slack's escaping and syntax undone, fences dropped, junk removed, size bounded."""

from __future__ import annotations

from bot.normalize import HEAD_CHARS, MAX_CHARS, TAIL_CHARS, normalize, to_text


def test_slack_html_entities_are_decoded_once() -> None:
    assert normalize("550 5.1.1 &lt;bob@example.org&gt;: Recipient address rejected &amp; more") == \
        "550 5.1.1 <bob@example.org>: Recipient address rejected & more"


def test_an_escaped_entity_is_decoded_only_one_level() -> None:
    # A user who typed "&lt;" literally reaches us as "&amp;lt;": it must stay "&lt;", not become "<".
    assert normalize("literal &amp;lt; here") == "literal &lt; here"


def test_auto_linked_host_keeps_its_label() -> None:
    assert normalize("host <http://smtp.office365.com|smtp.office365.com>:587") == "host smtp.office365.com:587"


def test_mailto_link_becomes_the_bare_address() -> None:
    assert normalize("from <mailto:a@b.com|a@b.com>") == "from a@b.com"
    assert normalize("from <mailto:a@b.com>") == "from a@b.com"


def test_bare_url_token_becomes_the_url() -> None:
    assert normalize("see <https://support.google.com/mail/?p=BadCredentials>") == \
        "see https://support.google.com/mail/?p=BadCredentials"


def test_disguised_link_shows_only_its_label() -> None:
    assert normalize("<https://evil.example|Reset password>") == "Reset password"


def test_channel_and_here_broadcasts_become_plain_words() -> None:
    out = normalize("hi <!channel> and <!here|here> and <!everyone>")
    assert out == "hi @channel and @here and @everyone"
    assert "<!" not in out


def test_user_and_channel_mentions_become_plain_words() -> None:
    assert normalize("ping <@U123ABC> in <#C0123|general>") == "ping @U123ABC in #general"


def test_code_fences_are_dropped_but_their_content_kept() -> None:
    out = normalize("look:\n```python\nEMAIL_PORT = 587\n```\nthanks")
    assert "```" not in out
    assert "EMAIL_PORT = 587" in out.splitlines()
    assert "python" not in out


def test_inline_fence_on_one_line_is_dropped() -> None:
    out = normalize("```535 5.7.8 Username and Password not accepted```")
    assert out.strip() == "535 5.7.8 Username and Password not accepted"


def test_crlf_and_lone_cr_become_newlines() -> None:
    assert normalize("220 ready\r\n250 ok\rdone") == "220 ready\n250 ok\ndone"


def test_control_characters_are_removed_but_tab_and_newline_kept() -> None:
    out = normalize("a\x00b\x1b[31mc\x07d\x7fe\x85f\tg\nh")
    assert out == "ab[31mcdef\tg\nh"


def test_invalid_utf8_bytes_are_dropped_without_error() -> None:
    out = normalize(b"535 \xff\xfe5.7.8 auth\xc3\x28 failed")
    assert out == "535 5.7.8 auth( failed"
    assert "\ufffd" not in out


def test_to_text_decodes_bytes_and_passes_strings_through() -> None:
    assert to_text(b"caf\xc3\xa9") == "café"
    assert to_text("same") == "same"


def test_megabyte_paste_is_cut_to_head_and_tail() -> None:
    paste = "HEAD-MARK\n" + "filler line\n" * 90_000 + "535 5.7.8 TAIL-MARK"
    assert len(paste) > 1_000_000
    out = normalize(paste)
    assert len(out) <= MAX_CHARS + 10
    assert out.startswith("HEAD-MARK")
    assert out.endswith("535 5.7.8 TAIL-MARK")


def test_head_and_tail_budgets_fit_inside_the_cap() -> None:
    assert HEAD_CHARS + TAIL_CHARS <= MAX_CHARS


def test_paste_under_the_cap_is_not_cut() -> None:
    paste = "x" * (MAX_CHARS - 1)
    assert normalize(paste) == paste


def test_literal_angle_address_in_a_transcript_is_kept() -> None:
    line = "C: RCPT TO:<user@example.org>\nS: 550 5.1.1 <user@example.org>: Recipient address rejected"
    assert normalize(line) == line


def test_literal_angle_address_escaped_by_slack_is_restored() -> None:
    assert normalize("MAIL FROM:&lt;user@example.org&gt;") == "MAIL FROM:<user@example.org>"


def test_nested_angle_brackets_do_not_crash_or_grow() -> None:
    paste = "<" * 20_000 + "smtp.example.org" + ">" * 20_000
    out = normalize(paste)
    assert len(out) <= len(paste)
    assert "smtp.example.org" in out
