"""Websocket routes of the live session."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
