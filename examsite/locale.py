"""Chinese first: the language is Chinese unless the person chose English with the switch.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a candidate whose
computer happens to have an English browser would get English pages while the notice, the
papers and the staff all speak Chinese. Here only the language cookie (set by the switch on
every page, /i18n/setlang/) changes it.
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        translation.activate(chosen if chosen in supported else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
