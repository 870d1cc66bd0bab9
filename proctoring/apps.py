from django.apps import AppConfig


class ProctoringConfig(AppConfig):
    name = "proctoring"
    verbose_name = "监控"

    def ready(self) -> None:
        from proctoring import receivers
        from proctoring.api import schema_auth  # noqa: F401  (OpenAPI description of the phone's cookie)

        receivers.connect()

        from exams.selectors.monitor import monitor_tile_extender_add
        from proctoring.wall import wall_tiles_extend

        monitor_tile_extender_add(wall_tiles_extend)

        from exams.selectors.attempts import attempt_block_add
        from proctoring.services.phone import phone_block_for_attempt

        attempt_block_add("phone", phone_block_for_attempt)

        from proctoring.recordings import recording_block

        # The next free seq matters when a page loads (GET attempt/), not on every reconnect.
        attempt_block_add("recording", recording_block, on_socket=False)
