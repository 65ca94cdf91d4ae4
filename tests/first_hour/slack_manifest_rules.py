"""What Slack accepts in an app manifest, written down for the tests (our own summary, not a copy).

Sources: Slack's manifest reference (docs.slack.dev/reference/app-manifest) and the typed manifest in Slack's own
Node SDK (slackapi/node-slack-sdk, packages/web-api/src/types/request/manifest.ts): the keys each section may
hold, which are required, the length limits, and that request URLs "can be absent when enabling Socket Mode".
Event → scope pairs are from each event's reference page (docs.slack.dev/reference/events/<event>).
"""

from __future__ import annotations

from typing import Any

TOP_KEYS = {"_metadata", "display_information", "features", "oauth_config", "settings", "functions"}
DISPLAY_KEYS = {"name", "description", "long_description", "background_color"}
FEATURE_KEYS = {"app_home", "bot_user", "shortcuts", "slash_commands", "unfurl_domains"}
APP_HOME_KEYS = {"home_tab_enabled", "messages_tab_enabled", "messages_tab_read_only_enabled"}
BOT_USER_KEYS = {"display_name", "always_online"}
SHORTCUT_KEYS = {"type", "name", "callback_id", "description"}
COMMAND_KEYS = {"command", "description", "should_escape", "url", "usage_hint"}
OAUTH_KEYS = {"redirect_urls", "scopes", "token_management_enabled"}
SETTINGS_KEYS = {"allowed_ip_address_ranges", "event_subscriptions", "incoming_webhooks", "interactivity",
                 "org_deploy_enabled", "socket_mode_enabled", "token_rotation_enabled", "function_runtime"}
EVENT_SUB_KEYS = {"bot_events", "user_events", "request_url"}
INTERACTIVITY_KEYS = {"is_enabled", "message_menu_options_url", "request_url"}

# granular bot scopes Slack knows (the subset near what this app could ask for)
BOT_SCOPES_KNOWN = {
    "app_mentions:read", "channels:history", "channels:join", "channels:read", "chat:write", "chat:write.public",
    "commands", "files:read", "groups:history", "groups:read", "im:history", "im:read", "im:write",
    "mpim:history", "mpim:read", "reactions:read", "reactions:write", "team:read", "users:read",
}
# event → the bot scope it needs (None: no scope)
EVENT_SCOPE = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "file_shared": "files:read",
    "reaction_added": "reactions:read",
}


def _extra(where: str, got: dict[str, Any], allowed: set[str]) -> list[str]:
    return [f"{where}: unknown key {key!r}" for key in sorted(set(got) - allowed)]


def problems(m: dict[str, Any]) -> list[str]:
    """Everything in manifest `m` that Slack would refuse or that cannot work as configured; [] when fine."""
    out = _extra("top level", m, TOP_KEYS)
    if m.get("_metadata", {}).get("major_version", 1) not in (1, 2):
        out.append("_metadata.major_version must be 1 or 2")
    info = m.get("display_information") or {}
    out += _extra("display_information", info, DISPLAY_KEYS)
    if not 1 <= len(info.get("name", "")) <= 35:
        out.append("display_information.name: 1 to 35 characters")
    if len(info.get("description", "")) > 140:
        out.append("display_information.description: at most 140 characters")
    if "long_description" in info and not 175 <= len(info["long_description"]) <= 4000:
        out.append("display_information.long_description: 175 to 4,000 characters")
    color = info.get("background_color", "#000")
    if not (color.startswith("#") and len(color) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
        out.append("display_information.background_color: #rgb or #rrggbb")

    features = m.get("features") or {}
    settings = m.get("settings") or {}
    socket = settings.get("socket_mode_enabled") is True
    out += _extra("features", features, FEATURE_KEYS)
    out += _extra("features.app_home", features.get("app_home") or {}, APP_HOME_KEYS)
    bot_user = features.get("bot_user") or {}
    out += _extra("features.bot_user", bot_user, BOT_USER_KEYS)
    name = bot_user.get("display_name", "")
    if not (1 <= len(name) <= 80 and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-_." for c in name)):
        out.append("features.bot_user.display_name: 1 to 80 of a-z 0-9 - _ .")
    shortcuts = features.get("shortcuts") or []
    if len(shortcuts) > 10:
        out.append("features.shortcuts: at most 10")
    for s in shortcuts:
        out += _extra("shortcut", s, SHORTCUT_KEYS)
        if s.get("type") not in ("global", "message"):
            out.append(f"shortcut {s.get('callback_id')}: type global or message")
        if not s.get("name") or not s.get("callback_id") or not 1 <= len(s.get("description", "")) <= 150:
            out.append(f"shortcut {s.get('callback_id')}: name, callback_id and a description of ≤150 characters")
        if len(s.get("callback_id", "")) > 255:
            out.append("shortcut callback_id: at most 255 characters")
    commands = features.get("slash_commands") or []
    if len(commands) > 50:
        out.append("features.slash_commands: at most 50")
    for c in commands:
        out += _extra("slash command", c, COMMAND_KEYS)
        cmd = c.get("command", "")
        if not (cmd.startswith("/") and 2 <= len(cmd) <= 32):
            out.append(f"slash command {cmd!r}: starts with / and at most 32 characters")
        if not 1 <= len(c.get("description", "")) <= 2000 or len(c.get("usage_hint", "")) > 1000:
            out.append(f"slash command {cmd}: description 1 to 2,000 characters, usage_hint at most 1,000")
        if not socket and not str(c.get("url", "")).startswith("https://"):
            out.append(f"slash command {cmd}: an https url is needed without Socket Mode")

    oauth = m.get("oauth_config") or {}
    out += _extra("oauth_config", oauth, OAUTH_KEYS)
    scopes = set((oauth.get("scopes") or {}).get("bot") or [])
    out += [f"unknown bot scope {s!r}" for s in sorted(scopes - BOT_SCOPES_KNOWN)]
    if (commands or shortcuts) and "commands" not in scopes:
        out.append("slash commands and shortcuts need the commands scope")
    for url in oauth.get("redirect_urls") or []:
        if not url.startswith("https://"):
            out.append(f"redirect url {url!r} must be https")

    out += _extra("settings", settings, SETTINGS_KEYS)
    events = settings.get("event_subscriptions") or {}
    out += _extra("settings.event_subscriptions", events, EVENT_SUB_KEYS)
    bot_events = events.get("bot_events") or []
    if len(bot_events) > 100:
        out.append("settings.event_subscriptions.bot_events: at most 100")
    for event in bot_events:
        if event not in EVENT_SCOPE:
            out.append(f"event {event!r}: not one these rules know")
        elif EVENT_SCOPE[event] and EVENT_SCOPE[event] not in scopes:
            out.append(f"event {event} needs the {EVENT_SCOPE[event]} scope")
    if bot_events and not socket and not str(events.get("request_url", "")).startswith("https://"):
        out.append("settings.event_subscriptions: an https request_url is needed without Socket Mode")
    inter = settings.get("interactivity") or {}
    out += _extra("settings.interactivity", inter, INTERACTIVITY_KEYS)
    if inter and not isinstance(inter.get("is_enabled"), bool):
        out.append("settings.interactivity.is_enabled is required (true or false)")
    if inter.get("is_enabled") and not socket and not str(inter.get("request_url", "")).startswith("https://"):
        out.append("settings.interactivity: an https request_url is needed without Socket Mode")
    return out
