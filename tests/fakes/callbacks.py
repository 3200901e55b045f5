"""In-memory stand-ins for the callbacks' ports: the store (deliveries, secrets), the queue and the transport."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from search_service.adapters.stored import StoredDelivery, StoredSecret, dump, load
from search_service.domain.models import CallbackMessage, Delivery, SigningSecret
from search_service.domain.ports import DeliveryFailed


class InMemoryCallbackStore:
    """Records kept as the bucket's JSON (the stored format), so they make the same round trip."""

    def __init__(self) -> None:
        self.deliveries: dict[tuple[str, str], bytes] = {}
        self.secrets: dict[str, bytes] = {}

    def save_delivery(self, search_id: str, delivery: Delivery) -> None:
        self.deliveries[(search_id, delivery.event_id)] = dump(StoredDelivery.of(delivery))

    def load_delivery(self, search_id: str, event_id: str) -> Delivery | None:
        found = self.deliveries.get((search_id, event_id))
        return load(StoredDelivery, found).domain() if found else None

    def load_deliveries(self, search_id: str) -> list[Delivery]:
        found = [load(StoredDelivery, body).domain() for (sid, _), body in self.deliveries.items() if sid == search_id]
        return sorted(found, key=lambda d: (d.created_at, d.event_id))

    def load_secret(self, owner: str) -> SigningSecret | None:
        found = self.secrets.get(owner)
        return load(StoredSecret, found).domain() if found else None

    def create_secret(self, owner: str, secret: SigningSecret) -> SigningSecret:
        held = self.load_secret(owner)
        if held is not None:
            return held
        self.save_secret(owner, secret)
        return secret

    def save_secret(self, owner: str, secret: SigningSecret) -> None:
        self.secrets[owner] = dump(StoredSecret.of(secret))


@dataclass
class ListQueue:
    sent: list[tuple[CallbackMessage, int]] = field(default_factory=list)

    def send(self, message: CallbackMessage, delay_s: int) -> None:
        self.sent.append((message, delay_s))


@dataclass
class ScriptedTransport:
    """Answers each POST with the next of `answers`: a status, or an exception to raise."""

    answers: list[int | DeliveryFailed]
    posted: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.posted.append((url, body, dict(headers)))
        answer = self.answers[min(len(self.posted), len(self.answers)) - 1]
        if isinstance(answer, DeliveryFailed):
            raise answer
        return answer
