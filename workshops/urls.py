from django.urls import path

from workshops import views

urlpatterns = [
    path("", views.home, name="home"),
    path("biblioteca/", views.library, name="library"),
    path("preguntas/", views.question_bank, name="question_bank"),
    path("preguntas/nueva/", views.question_create, name="question_create"),
    path("preguntas/<int:pk>/", views.question_detail, name="question_detail"),
    path("preguntas/<int:pk>/editar/", views.question_edit, name="question_edit"),
    path("preguntas/<int:pk>/eliminar/", views.question_delete, name="question_delete"),
    path("organizacion/", views.organisation_settings, name="organisation_settings"),
    path("organizacion/areas/", views.area_add, name="area_add"),
    path("organizacion/areas/<int:pk>/", views.area_rename, name="area_rename"),
    path("sesiones/<int:pk>/preparacion/", views.workshop_checklist, name="workshop_checklist"),
    path(
        "sesiones/<int:pk>/preparacion/nueva/",
        views.workshop_checklist_add,
        name="workshop_checklist_add",
    ),
    path(
        "sesiones/<int:pk>/preparacion/<int:item_pk>/",
        views.workshop_checklist_item,
        name="workshop_checklist_item",
    ),
    path("sesiones/<int:pk>/hoja-de-ruta/", views.workshop_runsheet, name="workshop_runsheet"),
    path(
        "sesiones/<int:pk>/hoja-de-ruta/participantes/",
        views.workshop_runsheet_participants,
        name="workshop_runsheet_participants",
    ),
]
