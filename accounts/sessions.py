"""The session engine (SESSION_ENGINE): Django's database sessions, with the idle expiry pushed on
at most once a minute (issue 13). SESSION_SAVE_EVERY_REQUEST makes every page view an UPDATE and a
commit of the session's row only to move its expiry on by seconds; here a session whose stored
expiry is less than TOUCH_EVERY old is not written again unless its data changed. Sessions still
end after SESSION_COOKIE_AGE of inactivity, give or take the minute.

A session signed in with Django's own ModelBackend reads as signed in with `accounts.backends`'
(which reads a branch user's branch and provider with them), so the change signed nobody out."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone

from .backends import DJANGO_MODEL_BACKEND, PATH

TOUCH_EVERY = timedelta(minutes=1)


class SessionStore(db.SessionStore):
    _stored_expiry = None

    def _get_session_from_db(self):
        stored = super()._get_session_from_db()
        self._stored_expiry = stored.expire_date if stored else None
        return stored

    def load(self) -> dict:
        """The session's data; one signed in with Django's own ModelBackend, before
        `accounts.backends` took its place, is read as signed in with that (so nobody is signed out
        by the change; the session keeps the new name the next time it is written)."""
        return _renamed(super().load())

    async def aload(self) -> dict:
        return _renamed(await super().aload())

    def save(self, must_create: bool = False) -> None:
        if must_create or self.modified or not self._recently_touched():
            super().save(must_create=must_create)
            self._stored_expiry = self.get_expiry_date()

    def _recently_touched(self) -> bool:
        """Whether the stored expiry was pushed on less than TOUCH_EVERY ago."""
        if self._stored_expiry is None:
            return False
        left = self._stored_expiry - timezone.now()
        return left > timedelta(seconds=self.get_expiry_age()) - TOUCH_EVERY


def _renamed(data: dict) -> dict:
    if data.get(BACKEND_SESSION_KEY) == DJANGO_MODEL_BACKEND:
        data[BACKEND_SESSION_KEY] = PATH
    return data
