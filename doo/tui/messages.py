"""Messages that worker threads post to the app (Textual delivers them on the UI thread)."""

from __future__ import annotations

from textual.message import Message

from doo.devloop.client import Reply
from doo.devloop.events import Event


class EngineEvent(Message):
    """One event of the dev loop."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class ReplyReceived(Message):
    """The answer to a request sent from the Requests tab."""

    def __init__(self, reply: Reply) -> None:
        super().__init__()
        self.reply = reply
