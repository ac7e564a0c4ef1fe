"""Where the "saved" and "removed" messages wait for the next page: the session."""

from django.contrib.messages.storage.session import SessionStorage


class RecentSessionStorage(SessionStorage):
    """Django's session storage of messages, keeping only the latest few not yet shown.

    A message waits in the session until a page shows it. A form sent again and again with
    no page in between (a browser re-sending, a script) would otherwise make the session,
    which every request reads, grow without end.
    """

    keep = 10

    def _store(self, messages, response, *args, **kwargs):
        return super()._store(messages[-self.keep :], response, *args, **kwargs)
