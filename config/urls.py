from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from workshops.views import LoginView

urlpatterns = [
    path("entrar/", LoginView.as_view(), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("facilitation.urls")),
    path("", include("agreements.urls")),
    path("", include("workshops.urls")),
]
