from django.contrib.admin.apps import AdminConfig


class ExamAdminConfig(AdminConfig):
    """The admin, with the site that asks organizers for their TOTP code (examsite.otp)."""

    default_site = "examsite.otp.ExamAdminSite"
