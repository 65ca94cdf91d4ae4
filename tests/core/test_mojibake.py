"""repair_mojibake(): CJK text that arrived decoded as Latin-1/cp1252 is read back; everything else is left alone."""

from __future__ import annotations

import time

import pytest

from bot.normalize import normalize, repair_mojibake


def _as_latin(text: str, encoding: str) -> str:
    """What a tool shows when it decodes `text`, encoded in `encoding`, as Latin-1 (bytes 0x80-0x9f become C1)."""
    return text.encode(encoding).decode("latin-1")


def _as_cp1252(text: str, encoding: str) -> str:
    """The same through Windows-1252, keeping its five undefined bytes as C1 characters like Windows does."""
    chars = (bytes([b]).decode("cp1252", errors="replace") for b in text.encode(encoding))
    return "".join(c if c != "\ufffd" else chr(b) for c, b in zip(chars, text.encode(encoding), strict=True))


@pytest.mark.parametrize(("original", "encoding"), [
    ("请输入授权码", "gbk"),
    ("邮件服务器响应", "gb2312"),
    ("用户名或密码错误", "gb18030"),
    ("送信に失敗しました", "cp932"),
    ("サーバーの認証に失敗しました", "shift_jis"),
    ("授权码", "utf-8"),
])
@pytest.mark.parametrize("misread", [_as_latin, _as_cp1252])
def test_cjk_read_as_latin_is_repaired(original: str, encoding: str, misread) -> None:  # type: ignore[no-untyped-def]
    assert repair_mojibake(misread(original, encoding)) == original


def test_qq_reply_with_gbk_chinese_is_repaired_in_place() -> None:
    garbled = "535 Login Fail. " + _as_latin("请输入授权码", "gbk") + " More information in http://service.mail.qq.com"
    assert repair_mojibake(garbled) == "535 Login Fail. 请输入授权码 More information in http://service.mail.qq.com"


def test_repair_runs_before_control_characters_are_stripped() -> None:
    # Shift-JIS "送信" read as Latin-1 carries U+0090, which strip_controls would drop first.
    garbled = _as_latin("送信に失敗しました", "shift_jis")
    assert "\x90" in garbled
    assert normalize("Outlook: " + garbled) == "Outlook: 送信に失敗しました"


@pytest.mark.parametrize("text", [
    "Fehler beim Senden der Nachricht: Größe überschritten, für Ärger",
    "L’envoi du message a échoué. Déjà vu, été, crème brûlée",
    "Não foi possível autenticar: ações, informações",
    "Ærøskøbing Åæøå ÆØÅ",
    "GrÃ¶ÃŸe fÃ¼r Ã©tÃ©",          # UTF-8 Latin read as cp1252: not CJK, left as is
    "Ð¾ÑˆÐ¸Ð±ÐºÐ° Ø§Ù„Ø¹Ø±Ø¨ÙŠØ©",    # UTF-8 Cyrillic / Arabic read as cp1252: not CJK either
    "535 5.7.8 Username and Password not accepted",
    "已经是中文的文本 stays",
])
def test_other_text_is_left_alone(text: str) -> None:
    assert repair_mojibake(text) == text


def test_a_short_run_is_not_guessed() -> None:
    # One GBK character (two Latin-1 characters) could be anything: no repair below two CJK characters.
    assert repair_mojibake("x " + _as_latin("码", "gbk") + " y") == "x " + _as_latin("码", "gbk") + " y"


def test_latin_noise_is_not_read_as_chinese() -> None:
    # Pairs of accented capitals and small letters are valid GB2312 codes, but not of its common level-1 half.
    assert repair_mojibake("ÃéèêëÃéèêë ÂÊÎÔÛâêîôû") == "ÃéèêëÃéèêë ÂÊÎÔÛâêîôû"


def test_time_stays_linear_on_a_large_latin_paste() -> None:
    blob = ("Ãéèêë" * 4000 + "\n") * 2  # ~40,000 characters of Latin-1 noise in two long runs
    start = time.perf_counter()
    assert repair_mojibake(blob) == blob
    assert time.perf_counter() - start < 0.5


def test_short_runs_are_read_once_the_paste_has_shown_its_encoding() -> None:
    # "送信" and "の" are too short to guess alone; beside a long Shift-JIS run they are read in Shift-JIS too.
    text = "送信 (SMTP) サーバー smtp.example.jp の認証に失敗しました。"
    assert repair_mojibake(_as_cp1252(text, "cp932")) == text
    gbk = "无法向发件服务器（SMTP） smtp.example.cn 进行认证。"
    assert repair_mojibake(_as_latin(gbk, "gbk")) == gbk


def test_a_short_run_alone_stays() -> None:
    assert repair_mojibake("£©£¨ alone") == "£©£¨ alone"
