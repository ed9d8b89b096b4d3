"""Each user's language: the one they last used on the site, for what is sent to them later.

E-mails go out from workers, long after the request, so the language of a request cannot be
asked then. Instead the user's last-used language is stored on ``User.language``: the middleware
records the language the site was shown in whenever the request states one (the language switch's
cookie or the browser's ``Accept-Language``). A request that states none (an API script) leaves
it alone, and a user who never stated one gets the site's default, ``LANGUAGE_CODE``. Sign-up
starts it at the language the sign-up page was shown in; a choice in the profile
(:func:`user_language_choose`) fixes it, and browsing no longer changes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
logger = logging.getLogger(__name__)


def supported_language(code: str | None) -> str | None:
    """``code`` (or its base language, ``ru`` for ``ru-RU``) if the site speaks it, else None."""
    if not code:
        return None
    codes = {lang for lang, _name in settings.LANGUAGES}
    code = code.lower()
    if code in codes:
        return code
    base = code.split("-")[0]
    return base if base in codes else None


def user_language(user: User | AnonymousUser) -> str:
    """The language to write to ``user`` in: their last-used one, else the site's default."""
    return supported_language(getattr(user, "language", "")) or settings.LANGUAGE_CODE


def user_language_record(*, user: User, language: str) -> bool:
    """Store ``language`` as the user's last-used one (one UPDATE, only when it changes), unless
    the user chose their e-mail language in the profile."""
    code = supported_language(language)
    if code is None or user.language == code or getattr(user, "language_chosen", False):
        return False
    get_user_model().objects.filter(id=user.id).update(language=code)
    user.language = code
    return True


def user_language_choose(*, user: User, language: str) -> None:
    """The profile's choice: e-mails in ``language`` from now on, whatever the site is browsed in."""
    from accounts.errors import invalid

    code = supported_language(language)
    if code is None or code != language:
        raise invalid(
            "language",
            gettext("Choose one of: %(codes)s.") % {"codes": ", ".join(c for c, _n in settings.LANGUAGES)},
        )
    get_user_model().objects.filter(id=user.id).update(language=code, language_chosen=True)
    user.language, user.language_chosen = code, True


class RememberLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: remembers a signed-in user's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            return response  # e.g. the database is down: nothing to remember, nothing to load
        try:
            self.remember(request, response)
        except DatabaseError:
            # Remembering a language is best effort: a database fault must not turn a served
            # page into an error (the fault itself is reported by the view that met it).
            logger.warning("could not record the user's language", exc_info=True)
        return response

    def remember(self, request: HttpRequest, response: HttpResponse) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        # The language switch just set it; or the page was shown in the language the request
        # stated (the switch's cookie, the browser's Accept-Language).
        chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen is not None:
            user_language_record(user=user, language=chosen.value)
        elif settings.LANGUAGE_COOKIE_NAME in request.COOKIES or "HTTP_ACCEPT_LANGUAGE" in request.META:
            shown = getattr(request, "LANGUAGE_CODE", "") or translation.get_language() or ""
            user_language_record(user=user, language=shown)
