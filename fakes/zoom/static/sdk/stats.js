// stats.js: once a second, what this client receives from each remote participant (audio level, frames per
// second, resolution, whether the picture changes and is not black) and what it sends. The client posts it
// to the service, which shows it in GET /fake/meetings/{number}/roster.

const SAMPLE_WIDTH = 32;
const SAMPLE_HEIGHT = 24;
// Mean absolute luma difference between two samples above which the picture counts as changing.
const CHANGING_THRESHOLD = 0.5;
// Mean luma below which the picture counts as black.
const BLACK_THRESHOLD = 16;
// How long a sample waits for a frame of a participant's video before counting it as not changing.
const FRAME_WAIT_MS = 300;

function roundLevel(level) {
  return level === null || level === undefined ? null : Math.round(level * 10000) / 10000;
}

class MediaReporter {
  constructor(mesh, playback) {
    this.mesh = mesh;
    this.playback = playback;
    this.previous = new Map(); // pcId -> {time, frames}
    this.remoteLevels = new Map(); // userId -> the last second of decoded-audio RMS samples
    this.lastLuma = new Map(); // userId -> Float32Array of the last sample
    this.readers = new Map(); // userId -> {sourceId, clone, reader}: a frame reader on a clone of their video
    this.localAnalyser = null;
    this.localLevels = [];
    this.sampler = null;
    this.remoteSampler = null;
  }

  setLocalAudio(track) {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = null;
    this.localAnalyser = null;
    this.localLevels = [];
    if (!track) return;
    try {
      const context = this.playback.audioContext();
      const source = context.createMediaStreamSource(new MediaStream([track]));
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      source.connect(analyser);
      this.localAnalyser = { analyser, source, buffer: new Float32Array(analyser.fftSize), track };
      this.sampler = setInterval(() => this.sampleLocal(), 200);
    } catch (error) {
      console.warn('[fake zoom] no local audio level', error);
    }
  }

  // Five times a second: the decoded audio level of every remote participant.
  sampleRemotes() {
    for (const userId of this.playback.remotes.keys()) {
      const level = this.playback.audioLevel(userId);
      if (level === null) continue;
      const samples = this.remoteLevels.get(userId) || [];
      samples.push(level);
      if (samples.length > 5) samples.shift();
      this.remoteLevels.set(userId, samples);
    }
    for (const userId of [...this.remoteLevels.keys()]) {
      if (!this.playback.remotes.has(userId)) this.remoteLevels.delete(userId);
    }
  }

  start() {
    if (!this.remoteSampler) this.remoteSampler = setInterval(() => this.sampleRemotes(), 200);
  }

  sampleLocal() {
    const local = this.localAnalyser;
    if (!local) return;
    local.analyser.getFloatTimeDomainData(local.buffer);
    let sum = 0;
    for (const value of local.buffer) sum += value * value;
    const rms = local.track.enabled ? Math.sqrt(sum / local.buffer.length) : 0;
    this.localLevels.push(rms);
    if (this.localLevels.length > 10) this.localLevels.shift();
  }

  // One frame of the participant's video track, read from a clone of it. Its luma is sampled straight from the
  // frame's pixels: drawing a <video> (or a frame) on a 2D canvas makes Chromium keep a shared-memory copy of
  // each frame drawn, hundreds of MiB over a class, which would weigh on the bot this client runs in.
  async latestFrame(userId, track) {
    let reader = this.readers.get(userId);
    if (reader && reader.sourceId !== track.id) {
      this.dropReader(userId);
      reader = null;
    }
    if (!reader) {
      const clone = track.clone();
      const stream = new MediaStreamTrackProcessor({ track: clone, maxBufferSize: 1 }).readable;
      reader = { sourceId: track.id, clone, reader: stream.getReader() };
      this.readers.set(userId, reader);
    }
    // A frozen picture sends no frame: wait a little, and keep the read for the next sample (never a second one).
    reader.pending = reader.pending || reader.reader.read();
    const read = reader.pending;
    const result = await Promise.race([read, new Promise((resolve) => setTimeout(() => resolve(null), FRAME_WAIT_MS))]);
    if (result === null) return null;
    reader.pending = null;
    return result.done ? null : result.value;
  }

  dropReader(userId) {
    const reader = this.readers.get(userId);
    if (!reader) return;
    this.readers.delete(userId);
    if (reader.pending) reader.pending.then((result) => result.value && result.value.close(), () => {});
    reader.reader.cancel().catch(() => {});
    reader.clone.stop();
  }

  async lumaSample(frame) {
    const pixels = new Uint8Array(frame.allocationSize());
    const [plane] = await frame.copyTo(pixels);
    const rect = frame.visibleRect;
    const rgb = /^(RGB|BGR)/.test(frame.format);
    // Planar YUV formats start with their full-size luma plane; packed RGB ones are weighed per pixel.
    const [red, blue] = frame.format.startsWith('BGR') ? [2, 0] : [0, 2];
    const step = rgb ? 4 : 1;
    const luma = new Float32Array(SAMPLE_WIDTH * SAMPLE_HEIGHT);
    for (let y = 0; y < SAMPLE_HEIGHT; y++) {
      const row = plane.offset + (rect.y + Math.floor(((y + 0.5) * rect.height) / SAMPLE_HEIGHT)) * plane.stride;
      for (let x = 0; x < SAMPLE_WIDTH; x++) {
        const at = row + (rect.x + Math.floor(((x + 0.5) * rect.width) / SAMPLE_WIDTH)) * step;
        luma[y * SAMPLE_WIDTH + x] = rgb
          ? 0.299 * pixels[at + red] + 0.587 * pixels[at + 1] + 0.114 * pixels[at + blue]
          : pixels[at];
      }
    }
    return luma;
  }

  async sampleVideo(userId, video) {
    const stream = video && video.srcObject instanceof MediaStream ? video.srcObject : null;
    const track = stream ? stream.getVideoTracks()[0] : null;
    if (!video || !video.videoWidth || video.readyState < 2 || !track || track.readyState === 'ended') {
      this.lastLuma.delete(userId);
      this.dropReader(userId);
      return { videoChanging: false, videoBlack: null, videoLuma: null };
    }
    const frame = await this.latestFrame(userId, track);
    if (!frame) return { videoChanging: false, videoBlack: null, videoLuma: null };
    let luma;
    try {
      luma = await this.lumaSample(frame);
    } finally {
      frame.close();
    }
    let total = 0;
    for (const value of luma) total += value;
    const previous = this.lastLuma.get(userId);
    let difference = 0;
    if (previous) {
      for (let i = 0; i < luma.length; i++) difference += Math.abs(luma[i] - previous[i]);
      difference /= luma.length;
    }
    this.lastLuma.set(userId, luma);
    const mean = total / luma.length;
    return {
      videoChanging: previous !== undefined && difference > CHANGING_THRESHOLD,
      videoBlack: mean < BLACK_THRESHOLD,
      videoLuma: Math.round(mean * 10) / 10,
      videoDifference: Math.round(difference * 100) / 100,
    };
  }

  async collect(sending) {
    const now = performance.now() / 1000;
    const receiving = [];
    const live = new Set();
    for (const { userId, pc, pcId } of this.mesh.connections()) {
      live.add(pcId);
      let audio = null;
      let video = null;
      try {
        const report = await pc.getStats();
        report.forEach((entry) => {
          if (entry.type !== 'inbound-rtp') return;
          if (entry.kind === 'audio') audio = entry;
          if (entry.kind === 'video') video = entry;
        });
      } catch (e) {
        continue;
      }
      const before = this.previous.get(pcId);
      const current = {
        time: now,
        frames: video ? video.framesDecoded || 0 : 0,
      };
      this.previous.set(pcId, current);
      const samples = this.remoteLevels.get(userId) || [];
      const audioLevel = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0;
      const peak = samples.length ? Math.max(...samples) : 0;
      let videoFps = 0;
      if (before) {
        const elapsed = current.time - before.time;
        if (elapsed > 0) videoFps = (current.frames - before.frames) / elapsed;
      }
      const remote = this.playback.remotes.get(userId);
      const picture = await this.sampleVideo(userId, remote ? remote.video : null);
      const entry = {
        userId,
        connection: pc.connectionState,
        audioPath: remote ? remote.audioPath : null,
        audioLevel: Math.round(audioLevel * 10000) / 10000,
        audioPeak: roundLevel(peak),
        audioBytes: audio ? audio.bytesReceived || 0 : 0,
        videoFps: Math.round(videoFps * 10) / 10,
        width: video ? video.frameWidth || 0 : 0,
        height: video ? video.frameHeight || 0 : 0,
        ...picture,
      };
      receiving.push(entry);
      if (remote) {
        remote.tile.dataset.videoFps = String(entry.videoFps);
        remote.tile.dataset.videoChanging = String(entry.videoChanging);
        remote.tile.dataset.audioLevel = String(entry.audioLevel);
      }
    }
    for (const pcId of [...this.previous.keys()]) if (!live.has(pcId)) this.previous.delete(pcId);
    for (const userId of [...this.readers.keys()]) if (!this.playback.remotes.has(userId)) this.dropReader(userId);
    const levels = this.localLevels;
    const audioLevel = levels.length ? Math.max(...levels) : 0;
    return {
      sending: { ...sending, audioLevel: Math.round(audioLevel * 10000) / 10000 },
      receiving,
    };
  }

  pause() {
    if (this.remoteSampler) clearInterval(this.remoteSampler);
    this.remoteSampler = null;
    this.remoteLevels.clear();
  }

  stop() {
    for (const userId of [...this.readers.keys()]) this.dropReader(userId);
    this.setLocalAudio(null);
    this.pause();
  }
}
