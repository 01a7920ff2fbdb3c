from django.urls import path

from agreements import views

urlpatterns = [
    path("acuerdo/<str:token>/", views.owner_agreement, name="owner_agreement"),
    path("acuerdos/", views.agreement_list, name="agreement_list"),
    path("acuerdos/exportar.csv", views.agreement_export, name="agreement_export"),
    path("acuerdos/exportar.xlsx", views.agreement_export_xlsx, name="agreement_export_xlsx"),
    path("acuerdos/exportaciones/", views.agreement_export_log, name="agreement_export_log"),
    path("acuerdos/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("acuerdos/<int:pk>/comentar/", views.agreement_comment, name="agreement_comment"),
    path(
        "acuerdos/<int:pk>/responsables/<int:owner_pk>/revocar/",
        views.owner_revoke,
        name="owner_revoke",
    ),
    path(
        "acuerdos/<int:pk>/responsables/<int:owner_pk>/renovar/",
        views.owner_renew,
        name="owner_renew",
    ),
    path("sesiones/<int:pk>/acta/", views.workshop_report, name="workshop_report"),
    path(
        "sesiones/<int:pk>/acta/acuerdos.csv",
        views.workshop_report_csv,
        name="workshop_report_csv",
    ),
    path(
        "sesiones/<int:pk>/acta/acta.xlsx", views.workshop_report_xlsx, name="workshop_report_xlsx"
    ),
]
