"""Reads shared by pages, APIs and sockets, by domain: ``attempts`` (the candidate's view of
an attempt), ``notice`` (a batch's public notice), ``monitor`` (live counts), ``sessions``
(organizer lists). Selectors never write."""
