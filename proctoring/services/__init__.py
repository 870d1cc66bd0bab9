"""Proctoring's write path, by domain: ``events`` (events and evidence of an attempt),
``phone`` (the phone monitor), ``reviews`` (review decisions), ``registered_photos``,
``retention`` (the purge)."""
