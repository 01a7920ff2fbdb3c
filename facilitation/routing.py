"""Websocket routes of the live session. config.asgi gives every socket the Django session;
only the staff's sockets read the user from it (AuthMiddleware): a participant is known by
the session alone (facilitation.access.participant_for_session)."""

from channels.auth import AuthMiddleware
from django.urls import path

from facilitation import consumers

websocket_urlpatterns = [
    path("ws/en-vivo/<str:token>/", consumers.ParticipantConsumer.as_asgi()),
    path("ws/sala/<int:live_id>/", AuthMiddleware(consumers.FacilitatorConsumer.as_asgi())),
    path("ws/proyector/<int:live_id>/", AuthMiddleware(consumers.ProjectorConsumer.as_asgi())),
]
