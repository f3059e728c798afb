// A room that looks live but is silent: the avatar is live, yet
//   "in":  Zoom names a person as the active speaker and no meeting audio reaches the page for SILENT_MS after
//          (the avatar cannot hear the students), or
//   "out": the avatar talks (pauses between sentences included) for SILENT_MS while Zoom shows the bot without
//          computer audio, or muted though the bot wants its microphone open and nobody muted it (the students
//          cannot hear the avatar).
// The watch only judges; the bot says it in words and repairs (see bot.js).
//
// Zoom's speaker indicator trails the voice: it is computed from the sender's smoothed audio level, reported
// about once a second, so Zoom can name a person as speaking after their last words have already been heard. A
// naming within SPEAKER_LAG_MS of audio last heard is that audio's tail, not evidence that audio stopped (seen: a
// 30-minute soak with a student asking a question a minute was failed twice as "silent" while every question
// was transcribed).

export const SILENT_MS = 5000;
export const SPEAKER_LAG_MS = 3000;

export class SilenceWatch {
  constructor({ silentMs = SILENT_MS, speakerLagMs = SPEAKER_LAG_MS } = {}) {
    this.silentMs = silentMs;
    this.speakerLagMs = speakerLagMs;
    this.reset(0);
  }

  /** Forget the evidence so far (the avatar just went live, or a repair just ran). */
  reset(now) {
    this.since = now;
    this.lastHeardAt = null;
    this.unheardSince = null;
    this.voicelessSince = null;
  }

  /**
   * One observation (every ~100 ms while the bot is in its room).
   * @param {object} o
   * @param {number} o.now
   * @param {boolean} o.live           the avatar is live in the bot's room
   * @param {boolean} o.heard          the meeting audio is above the speech level right now
   * @param {number} o.humanSpokeAt    when Zoom last named a person (not a bot) still in the room as the active
   *                                   speaker; 0 when that person is not (or no longer) in the room
   * @param {boolean} o.talking        the avatar is talking
   * @param {boolean} o.voiceOut       Zoom shows the bot with computer audio and unmuted, or it was host-muted
   * @returns {"in" | "out" | null}
   */
  observe({ now, live, heard, humanSpokeAt, talking, voiceOut }) {
    if (!live) {
      this.reset(now);
      return null;
    }
    if (heard) {
      this.lastHeardAt = now;
      this.unheardSince = null;
    } else if (!humanSpokeAt) {
      this.unheardSince = null; // nobody in the room is named as speaking: nothing is missing
    } else if (humanSpokeAt > this.evidenceAfter()) {
      this.unheardSince ??= humanSpokeAt;
    }
    if (this.unheardSince !== null && now - this.unheardSince >= this.silentMs) return "in";
    // The avatar's pauses between sentences do not clear the evidence; Zoom showing its voice out does.
    if (voiceOut) this.voicelessSince = null;
    else if (talking) this.voicelessSince ??= now;
    if (talking && this.voicelessSince !== null && now - this.voicelessSince >= this.silentMs) return "out";
    return null;
  }

  /** A naming of a speaker later than this is evidence: after the watch began, and past the tail of audio heard. */
  evidenceAfter() {
    return this.lastHeardAt === null ? this.since : Math.max(this.since, this.lastHeardAt + this.speakerLagMs);
  }
}
