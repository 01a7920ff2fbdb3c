"""Websocket routes of the live session."""

from django.urls import path

from facilitation import consumers

websocket_urlpatterns = [
    path("ws/en-vivo/<str:token>/", consumers.ParticipantConsumer.as_asgi()),
    path("ws/sala/<int:live_id>/", consumers.FacilitatorConsumer.as_asgi()),
    path("ws/proyector/<int:live_id>/", consumers.ProjectorConsumer.as_asgi()),
]
