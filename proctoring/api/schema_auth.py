"""OpenAPI description of the phone's own cookie authentication (see exams.api.schema_auth)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PhoneCookieScheme(OpenApiAuthenticationExtension):
    target_class = "proctoring.api.views.PhoneCookieAuthentication"
    name = "phoneCookie"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "exam_phone",
            "description": "The phone monitor's own cookie, set when it claims its pairing link.",
        }
