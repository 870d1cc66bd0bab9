"""OpenAPI descriptions of the non-user authentications, so the schema (and
``check --deploy``, which builds it) knows how candidates authenticate (phones: in
``proctoring.api.schema_auth``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CandidateSessionScheme(OpenApiAuthenticationExtension):
    target_class = "exams.api.candidate_auth.CandidateSessionAuthentication"
    name = "candidateSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The Django session rotated and bound to one attempt by POST login/; "
            "writes also need the X-CSRFToken header.",
        }


class CsrfOnlyScheme(OpenApiAuthenticationExtension):
    target_class = "exams.api.candidate_auth.CsrfOnly"
    name = "csrfOnly"
    optional = True

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRFToken",
            "description": "Anonymous; writes need the csrftoken cookie echoed in this header.",
        }
