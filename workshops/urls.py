from django.urls import path

from workshops import face_views, invitation_views, people_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("biblioteca/", views.library, name="library"),
    path("preguntas/", views.question_bank, name="question_bank"),
    path("preguntas/nueva/", views.question_create, name="question_create"),
    path("preguntas/<int:pk>/", views.question_detail, name="question_detail"),
    path("preguntas/<int:pk>/editar/", views.question_edit, name="question_edit"),
    path("preguntas/<int:pk>/eliminar/", views.question_delete, name="question_delete"),
    path("organizacion/", views.organisation_settings, name="organisation_settings"),
    path("organizacion/privacidad/", views.organisation_privacy, name="organisation_privacy"),
    path("organizacion/areas/", views.area_add, name="area_add"),
    path(
        "organizacion/logo/", face_views.organisation_logo_upload, name="organisation_logo_upload"
    ),
    path(
        "organizacion/logo/quitar/",
        face_views.organisation_logo_remove,
        name="organisation_logo_remove",
    ),
    path(
        "organizacion/<int:pk>/logo/<int:version>/",
        face_views.organisation_logo,
        name="organisation_logo",
    ),
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

# Session builder: every agenda edit is a POST answered with the #agenda fragment.
urlpatterns += [
    path("sesiones/", views.workshop_list, name="workshop_list"),
    path("sesiones/nueva/", views.workshop_create, name="workshop_create"),
    path("sesiones/<int:pk>/", views.workshop_builder, name="workshop_builder"),
    path("sesiones/<int:pk>/datos/", views.workshop_edit, name="workshop_edit"),
    path("sesiones/<int:pk>/duplicar/", views.workshop_duplicate, name="workshop_duplicate"),
    path("sesiones/<int:pk>/estado/", views.workshop_status, name="workshop_status"),
    path("sesiones/<int:pk>/bloques/", views.block_add, name="block_add"),
    path("sesiones/<int:pk>/bloques/orden/", views.blocks_reorder, name="blocks_reorder"),
    path("sesiones/<int:pk>/bloques/<int:block_pk>/", views.block_edit, name="block_edit"),
    path(
        "sesiones/<int:pk>/bloques/<int:block_pk>/minutos/",
        views.block_minutes,
        name="block_minutes",
    ),
    path(
        "sesiones/<int:pk>/bloques/<int:block_pk>/quitar/",
        views.block_remove,
        name="block_remove",
    ),
    path(
        "sesiones/<int:pk>/bloques/<int:block_pk>/duplicar/",
        views.block_duplicate,
        name="block_duplicate",
    ),
    path("sesiones/<int:pk>/bloques/<int:block_pk>/mover/", views.block_move, name="block_move"),
    path(
        "sesiones/<int:pk>/bloques/<int:block_pk>/preguntas/",
        views.question_picker,
        name="question_picker",
    ),
    path(
        "sesiones/<int:pk>/bloques/<int:block_pk>/preguntas/agregar/",
        views.block_question_add,
        name="block_question_add",
    ),
    path(
        "sesiones/<int:pk>/bloques/<int:block_pk>/preguntas/escribir/",
        views.block_question_write,
        name="block_question_write",
    ),
    path(
        "sesiones/<int:pk>/bloques/<int:block_pk>/preguntas/<int:question_pk>/quitar/",
        views.block_question_remove,
        name="block_question_remove",
    ),
]

# People and accounts (issue 14): the first run, passwords, the members page.
urlpatterns += [
    path("configurar/", people_views.setup, name="setup"),
    path("cuenta/clave/", people_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "cuenta/clave/lista/",
        people_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("cuenta/recuperar/", people_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "cuenta/recuperar/enviado/",
        people_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "cuenta/recuperar/<uidb64>/<token>/",
        people_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "cuenta/recuperar/listo/",
        people_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("organizaciones/", people_views.organisation_choose, name="organisation_choose"),
    path("organizacion/personas/", people_views.member_list, name="member_list"),
    path("organizacion/personas/<int:pk>/roles/", people_views.member_roles, name="member_roles"),
    path(
        "organizacion/personas/<int:pk>/activa/",
        people_views.member_active,
        name="member_active",
    ),
]

# Invitations (issue 14): inviting, re-sending, revoking; the public page a link opens.
urlpatterns += [
    path("organizacion/invitaciones/", invitation_views.invitation_list, name="invitations"),
    path(
        "organizacion/invitaciones/<int:pk>/reenviar/",
        invitation_views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "organizacion/invitaciones/<int:pk>/anular/",
        invitation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitacion/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
]
