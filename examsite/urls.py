from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from examsite.health import healthz

admin.site.site_header = "远程考试考务后台"
admin.site.site_title = "考务后台"
admin.site.index_title = "考务管理"



def favicon(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the API docs).
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/organizer/", include("exams.api.organizer_urls")),
    path("api/v1/organizer/", include("results.api.organizer_urls")),
    path("api/v1/organizer/", include("proctoring.api.organizer_urls")),
    path("api/v1/candidate/", include("exams.api.candidate_urls")),
    path("api/v1/candidate/", include("proctoring.api.candidate_urls")),
    path("api/v1/candidate/", include("results.api.candidate_urls")),
    path("api/v1/receipts/", include("results.api.public_urls")),
    path("api/v1/proctoring/", include("proctoring.api.urls")),
    path("api/v1/support/", include("support.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("monitor/", include("exams.monitor_urls")),
    path("proctoring/", include("proctoring.urls")),
    path("support/", include("support.urls")),
    path("", include("results.page_urls")),
    path("", include("exams.page_urls")),
    path("", include("exams.urls")),
]

handler500 = "examsite.errors.server_error"
