"""The bare baselines: a DRF JSON view and an echo websocket consumer, routed only when
bench.settings (bench/urls.py and bench/asgi.py route them; the application does not)."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

HELLO = '{"type":"hello"}'


class BareView(APIView):
    """Behind the same middleware as the candidate API; parses the JSON body, touches no
    session, cache or database."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        data = request.data
        return Response({"ok": True, "keys": len(data) if isinstance(data, dict) else 0})


class EchoConsumer(AsyncWebsocketConsumer):
    """Accepts, says hello once (as the attempt socket sends its sync), echoes text."""

    async def connect(self) -> None:
        await self.accept()
        await self.send(text_data=HELLO)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data is not None:
            await self.send(text_data=text_data)
