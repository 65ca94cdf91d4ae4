"""The Slack harness fixtures (the real bolt app on loopback, signed requests, the fake Web API), shared."""

from tests.slack.conftest import fake, harness, settings_kw  # noqa: F401
