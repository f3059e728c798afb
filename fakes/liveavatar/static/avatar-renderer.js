// The avatar's media, made in the page: a talking head drawn on a canvas (name, a mouth that opens with its own
// audio level, blinking eyes, the current sentence as a caption) captured at 25 fps, and the speech PCM the
// service streams, played through WebAudio into a MediaStreamAudioDestinationNode. The two tracks play the role
// of the `heygen` participant's remote tracks in the real LiveKit room.

const BACKGROUND = "#1d2733";

export class AvatarRenderer {
  constructor({ width, height, fps, avatar }) {
    this.width = width;
    this.height = height;
    this.fps = fps;
    this.avatar = avatar;
    this.state = "idle";
    this.caption = "";
    this.level = 0;
    this.videoTrack = null;
    this.audioTrack = null;
    this.sources = new Set();
    this.nextStart = 0;
    this.utteranceRate = 22050;
  }

  start() {
    this.canvas = document.createElement("canvas");
    this.canvas.width = this.width;
    this.canvas.height = this.height;
    this.g = this.canvas.getContext("2d");
    this.audioContext = new AudioContext();
    this.audioContext.resume().catch(() => {});
    this.output = this.audioContext.createGain();
    this.analyser = this.audioContext.createAnalyser();
    this.analyser.fftSize = 512;
    this.levelBuffer = new Float32Array(this.analyser.fftSize);
    this.destination = this.audioContext.createMediaStreamDestination();
    this.output.connect(this.analyser);
    this.output.connect(this.destination);
    this.audioTrack = this.destination.stream.getAudioTracks()[0];
    this.draw();
    this.videoTrack = this.canvas.captureStream(this.fps).getVideoTracks()[0];
    // A timer, not requestAnimationFrame: a bot's page is never looked at, and rAF pauses in hidden pages.
    this.timer = setInterval(() => this.draw(), 1000 / this.fps);
  }

  stop() {
    clearInterval(this.timer);
    this.stopAudio();
    this.videoTrack?.stop();
    this.audioTrack?.stop();
    this.audioContext?.close().catch(() => {});
  }

  // -- speech ----------------------------------------------------------------------------------------------

  beginUtterance(sampleRate, text) {
    this.utteranceRate = sampleRate;
    this.caption = text;
    this.audioContext.resume().catch(() => {});
    this.nextStart = Math.max(this.nextStart, this.audioContext.currentTime + 0.05);
  }

  pushPcm(arrayBuffer) {
    const samples = new Int16Array(arrayBuffer);
    if (samples.length === 0) return;
    const buffer = this.audioContext.createBuffer(1, samples.length, this.utteranceRate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 32768;
    const source = this.audioContext.createBufferSource();
    source.buffer = buffer;
    source.connect(this.output);
    const when = Math.max(this.nextStart, this.audioContext.currentTime + 0.02);
    source.start(when);
    this.nextStart = when + buffer.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
  }

  stopAudio() {
    for (const source of this.sources) {
      try {
        source.stop();
      } catch {
        // already stopped
      }
    }
    this.sources.clear();
    this.nextStart = 0;
  }

  // -- picture ---------------------------------------------------------------------------------------------

  measureLevel() {
    if (!this.analyser) return 0;
    this.analyser.getFloatTimeDomainData(this.levelBuffer);
    let sum = 0;
    for (const value of this.levelBuffer) sum += value * value;
    return Math.sqrt(sum / this.levelBuffer.length);
  }

  draw() {
    const { g, width: w, height: h } = this;
    const t = performance.now() / 1000;
    this.level = 0.6 * this.level + 0.4 * Math.min(1, this.measureLevel() * 6);
    const unit = Math.min(w, h);
    g.fillStyle = BACKGROUND;
    g.fillRect(0, 0, w, h);
    // A slow light sweep in the background keeps every frame different, as a live camera would.
    const sweep = (t * 0.15) % 1;
    const gradient = g.createLinearGradient(0, 0, w, 0);
    gradient.addColorStop(Math.max(0, sweep - 0.2), BACKGROUND);
    gradient.addColorStop(sweep, "#2a3a4d");
    gradient.addColorStop(Math.min(1, sweep + 0.2), BACKGROUND);
    g.fillStyle = gradient;
    g.fillRect(0, 0, w, h);

    const cx = w / 2 + Math.sin(t * 0.9) * unit * 0.01;
    const cy = h * 0.45 + Math.sin(t * 1.7) * unit * 0.008;
    const r = unit * 0.22;
    g.fillStyle = this.avatar.shirt || "#2f5d8a";
    g.beginPath();
    g.ellipse(cx, cy + r * 2.1, r * 1.5, r * 0.9, 0, Math.PI, 0);
    g.fill();
    g.fillStyle = this.avatar.skin || "#e0b48c";
    g.beginPath();
    g.arc(cx, cy, r, 0, Math.PI * 2);
    g.fill();

    const blink = t % 4 < 0.15;
    g.fillStyle = "#222";
    for (const side of [-1, 1]) {
      g.beginPath();
      g.ellipse(cx + side * r * 0.38, cy - r * 0.15, r * 0.09, blink ? r * 0.015 : r * 0.09, 0, 0, Math.PI * 2);
      g.fill();
    }
    const open = this.state === "speaking" ? 0.04 + this.level * 0.3 : 0.03;
    g.fillStyle = "#7a2e2e";
    g.beginPath();
    g.ellipse(cx, cy + r * 0.45, r * 0.3, r * open + 1, 0, 0, Math.PI * 2);
    g.fill();

    g.textAlign = "center";
    g.fillStyle = "#ffffff";
    g.font = `bold ${Math.round(unit * 0.06)}px sans-serif`;
    g.fillText(this.avatar.name || "Avatar", w / 2, h * 0.08 + unit * 0.03);
    if (this.state === "listening") {
      g.fillStyle = "#7fd17f";
      g.font = `${Math.round(unit * 0.035)}px sans-serif`;
      g.fillText("listening…", w / 2, h * 0.14 + unit * 0.03);
    }
    if (this.caption) this.drawCaption(this.caption, unit);
  }

  drawCaption(text, unit) {
    const { g, width: w, height: h } = this;
    const size = Math.round(unit * 0.045);
    g.font = `${size}px sans-serif`;
    const words = text.split(/\s+/);
    const lines = [];
    let line = "";
    for (const word of words) {
      const candidate = line ? `${line} ${word}` : word;
      if (g.measureText(candidate).width > w * 0.9 && line) {
        lines.push(line);
        line = word;
      } else {
        line = candidate;
      }
    }
    if (line) lines.push(line);
    const shown = lines.slice(-2);
    const boxHeight = shown.length * size * 1.3 + size * 0.6;
    g.fillStyle = "rgba(0, 0, 0, 0.6)";
    g.fillRect(0, h - boxHeight, w, boxHeight);
    g.fillStyle = "#ffffff";
    shown.forEach((text, index) => g.fillText(text, w / 2, h - boxHeight + size * 1.25 * (index + 1)));
  }
}
