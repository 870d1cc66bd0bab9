from django.contrib.admin.apps import AdminConfig


class ExamAdminConfig(AdminConfig):
    """The admin, with the site that asks organizers for their TOTP code (examsite.otp)."""

    default_site = "examsite.otp.ExamAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.contrib.auth.signals import user_logged_out

        from examsite.staff_sockets import session_ended

        user_logged_out.connect(session_ended, dispatch_uid="examsite.staff_sockets.session_ended")
