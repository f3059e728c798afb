"""Where the user's utterances start and end in the microphone track the agent hears (16 kHz mono int16).

Energy detection on 20 ms frames with an adaptive noise floor, a pre-roll so the first syllable is not lost, and
a hangover so short pauses do not split an utterance.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16_000
FRAME_SAMPLES = 320  # 20 ms
START_FRAMES = 3  # 60 ms of speech starts an utterance
END_FRAMES = 35  # 700 ms of silence ends it
PREROLL_FRAMES = 15  # 300 ms kept from before the start
MAX_FRAMES = 750  # 15 s at most per utterance
MIN_DBFS = -50.0
ABOVE_FLOOR_DB = 10.0


@dataclass
class Utterances:
    """What one push produced: utterance starts, the audio that belongs to an utterance, and ends, in order."""

    events: list[tuple[str, bytes]] = field(default_factory=list)  # ("start"|"audio"|"end", pcm)


class VoiceActivityDetector:
    def __init__(self) -> None:
        self._pending = b""
        self._floor = -70.0
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self.speaking = False
        self._loud = 0
        self._quiet = 0
        self._length = 0

    def push(self, pcm: bytes) -> Utterances:
        out = Utterances()
        data = self._pending + pcm
        step = FRAME_SAMPLES * 2
        offset = 0
        while offset + step <= len(data):
            self._frame(data[offset : offset + step], out)
            offset += step
        self._pending = data[offset:]
        return out

    def _frame(self, frame: bytes, out: Utterances) -> None:
        samples = np.frombuffer(frame, np.int16).astype(np.float32) / 32768.0
        dbfs = 10 * math.log10(float(np.mean(samples * samples)) + 1e-12)
        voiced = dbfs > max(MIN_DBFS, self._floor + ABOVE_FLOOR_DB)
        if not self.speaking:
            if not voiced:
                self._floor = 0.95 * self._floor + 0.05 * max(dbfs, -90.0)
            self._preroll.append(frame)
            self._loud = self._loud + 1 if voiced else 0
            if self._loud >= START_FRAMES:
                self.speaking = True
                self._quiet = 0
                self._length = len(self._preroll)
                out.events.append(("start", b""))
                out.events.append(("audio", b"".join(self._preroll)))
                self._preroll.clear()
            return
        out.events.append(("audio", frame))
        self._length += 1
        self._quiet = 0 if voiced else self._quiet + 1
        if self._quiet >= END_FRAMES or self._length >= MAX_FRAMES:
            self.speaking = False
            self._loud = 0
            out.events.append(("end", b""))
