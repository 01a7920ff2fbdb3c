from django.urls import path

from facilitation import erasure_views, paper_views, room_views, theme_views, views

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
    path("en-vivo/<int:live_id>/direccion/", views.room_address, name="room_address"),
    path("en-vivo/<int:live_id>/tarjetas/", room_views.join_cards, name="join_cards"),
    path("en-vivo/<int:live_id>/papel/", paper_views.paper_room, name="paper_room"),
    path("en-vivo/<int:live_id>/papel/agregar/", paper_views.paper_add, name="paper_add"),
    path("en-vivo/<int:live_id>/papel/elegir/", paper_views.paper_choose, name="paper_choose"),
    # Before the actions' pattern, which would take «formato» for one.
    path("en-vivo/<int:live_id>/papel/formato/", paper_views.paper_form, name="paper_form"),
    path(
        "en-vivo/<int:live_id>/papel/<slug:action>/",
        paper_views.paper_action,
        name="paper_action",
    ),
    path("en-vivo/<int:live_id>/<slug:action>/", views.control_action, name="control_action"),
    path("unirse/", views.join, name="join"),
    path("p/<str:token>/", views.participant_live, name="participant_live"),
    path("probar/", room_views.connection_test, name="connection_test"),
    path("probar/eco/", room_views.connection_echo, name="connection_echo"),
    path("probar/qr/", room_views.connection_test_qr, name="connection_test_qr"),
]
