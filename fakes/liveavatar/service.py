"""The running fake's parts in one object (stored on app.state.service), and how handlers reach it."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from fakes.liveavatar.agents import AgentDirectory
from fakes.liveavatar.billing import CreditLedger
from fakes.liveavatar.config import FakeLiveAvatarConfig
from fakes.liveavatar.contexts import ContextStore
from fakes.liveavatar.faults import FaultInjector
from fakes.liveavatar.livekit_server import LiveKitServer
from fakes.liveavatar.rate_limits import RateLimiter
from fakes.liveavatar.rooms import RoomDirectory
from fakes.liveavatar.sessions import SessionRegistry
from fakes.liveavatar.stt import SpeechRecognizer
from fakes.liveavatar.tokens import TokenIssuer
from fakes.liveavatar.tts import Synthesizer


@dataclass
class LiveAvatarService:
    config: FakeLiveAvatarConfig
    ledger: CreditLedger
    registry: SessionRegistry
    contexts: ContextStore
    tokens: TokenIssuer
    synthesizer: Synthesizer
    recognizer: SpeechRecognizer
    agents: AgentDirectory
    rooms: RoomDirectory
    faults: FaultInjector = field(default_factory=FaultInjector)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)

    @classmethod
    def build(cls, config: FakeLiveAvatarConfig) -> LiveAvatarService:
        ledger = CreditLedger(config.initial_credits, overage_enabled=config.overage_enabled)
        registry = SessionRegistry(config, ledger)
        synthesizer = Synthesizer(words_per_minute=config.tts_words_per_minute)
        recognizer = SpeechRecognizer(language_weight=config.stt_language_weight)
        rooms = RoomDirectory(
            LiveKitServer(config.livekit_server_binary), registry, config.avatar_fps, stamp_frames=config.stamp_frames
        )
        return cls(
            config=config,
            ledger=ledger,
            registry=registry,
            contexts=ContextStore(),
            tokens=TokenIssuer(),
            synthesizer=synthesizer,
            recognizer=recognizer,
            agents=AgentDirectory(registry, synthesizer, recognizer, rooms),
            rooms=rooms,
        )

    def base_url(self, connection: HTTPConnection) -> str:
        """Where browsers reach this service: the configured public URL, else the one this request used."""
        if self.config.public_base_url:
            return self.config.public_base_url.rstrip("/")
        return str(connection.base_url).rstrip("/")


def get_service(connection: HTTPConnection) -> LiveAvatarService:
    service: LiveAvatarService = connection.app.state.service
    return service
