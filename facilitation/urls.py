from django.urls import path

from facilitation import erasure_views, theme_views, views

urlpatterns = [
    path("sesiones/<int:pk>/en-vivo/", views.live_start, name="live_start"),
    path("en-vivo/<int:live_id>/", views.control_room, name="control_room"),
    path("en-vivo/<int:live_id>/proyector/", views.projector, name="projector"),
    path("en-vivo/<int:live_id>/acuerdos/nuevo/", views.agreement_new, name="agreement_new"),
    path(
        "en-vivo/<int:live_id>/acuerdos/<int:agreement_id>/reformular/",
        views.agreement_reword,
        name="agreement_reword",
    ),
    path(
        "en-vivo/<int:live_id>/temas/<int:block_id>/",
        theme_views.themes_board,
        name="themes_board",
    ),
    path(
        "en-vivo/<int:live_id>/temas/<int:block_id>/<slug:action>/",
        theme_views.themes_action,
        name="themes_action",
    ),
    path("en-vivo/<int:live_id>/enlaces/", views.owner_cards, name="owner_cards"),
    path("en-vivo/<int:live_id>/personas/", erasure_views.session_people, name="session_people"),
    path(
        "en-vivo/<int:live_id>/personas/<int:participant_id>/borrar/",
        erasure_views.participant_erase,
        name="participant_erase",
    ),
    path("en-vivo/<int:live_id>/<slug:action>/", views.control_action, name="control_action"),
    path("unirse/", views.join, name="join"),
    path("p/<str:token>/", views.participant_live, name="participant_live"),
]
