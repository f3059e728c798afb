// Energy voice-activity detection on 20 ms frames of 16 kHz audio, with an adaptive noise floor, a pre-roll so
// the first syllable is not lost, and a hangover so short pauses do not split an utterance.

const FRAME = 320; // 20 ms at 16 kHz
const START_FRAMES = 3; // 60 ms of speech starts an utterance
const END_FRAMES = 35; // 700 ms of silence ends it
const PREROLL_FRAMES = 15; // 300 ms kept from before the start
const MAX_FRAMES = 750; // 15 s at most per utterance
const MIN_DBFS = -50;
const ABOVE_FLOOR_DB = 10;

export class SpeechDetector {
  constructor({ onStart, onFrame, onEnd }) {
    this.onStart = onStart;
    this.onFrame = onFrame;
    this.onEnd = onEnd;
    this.pending = new Float32Array(0);
    this.floor = -70;
    this.preroll = [];
    this.speaking = false;
    this.loud = 0;
    this.quiet = 0;
    this.length = 0;
  }

  push(samples) {
    const joined = new Float32Array(this.pending.length + samples.length);
    joined.set(this.pending);
    joined.set(samples, this.pending.length);
    let offset = 0;
    for (; offset + FRAME <= joined.length; offset += FRAME) this.frame(joined.subarray(offset, offset + FRAME));
    this.pending = joined.slice(offset);
  }

  frame(samples) {
    let sum = 0;
    for (const value of samples) sum += value * value;
    const dbfs = 10 * Math.log10(sum / samples.length + 1e-12);
    const voiced = dbfs > Math.max(MIN_DBFS, this.floor + ABOVE_FLOOR_DB);
    const pcm = toInt16(samples);
    if (!this.speaking) {
      if (!voiced) this.floor = 0.95 * this.floor + 0.05 * Math.max(dbfs, -90);
      this.preroll.push(pcm);
      if (this.preroll.length > PREROLL_FRAMES) this.preroll.shift();
      this.loud = voiced ? this.loud + 1 : 0;
      if (this.loud >= START_FRAMES) {
        this.speaking = true;
        this.quiet = 0;
        this.length = this.preroll.length;
        this.onStart();
        for (const frame of this.preroll) this.onFrame(frame);
        this.preroll = [];
      }
      return;
    }
    this.onFrame(pcm);
    this.length += 1;
    this.quiet = voiced ? 0 : this.quiet + 1;
    if (this.quiet >= END_FRAMES || this.length >= MAX_FRAMES) this.finish();
  }

  finish() {
    if (!this.speaking) return;
    this.speaking = false;
    this.loud = 0;
    this.onEnd();
  }
}

function toInt16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767)));
  return out;
}
