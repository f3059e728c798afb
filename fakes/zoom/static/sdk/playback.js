// playback.js: renders remote video tiles into zoomAppRoot and plays remote audio the ways the real SDK
// does: through WebAudio (MediaStreamAudioSourceNode -> AudioContext.destination) and through <audio>
// elements. The meeting's audioPlayback setting picks the path per remote participant:
// "webaudio", "element", "split" (even userId -> WebAudio, odd userId -> <audio>), or "silent" (WebAudio at
// zero gain: the page hears nothing although Zoom shows people speaking). On the WebAudio path a
// muted <audio data-fakezoom-sink="webaudio"> holds the stream too (Chromium decodes remote WebRTC audio only
// for streams attached to a media element); it makes no sound, so an audio tap should skip muted elements.

class Playback {
  constructor() {
    this.root = null;
    this.gallery = null;
    this.audioBox = null;
    this.mode = 'split';
    this.context = null;
    this.remotes = new Map(); // userId -> {tile, video, audioPath, audioNode, audioElement, audioTrack, videoTrack}
    this.selfTile = null;
  }

  mount(root, container) {
    this.root = root;
    this.gallery = document.createElement('div');
    this.gallery.className = 'fz-gallery';
    this.gallery.style.cssText = 'display:flex;flex-wrap:wrap;gap:4px;background:#1a1a1a;min-height:120px';
    this.audioBox = document.createElement('div');
    this.audioBox.className = 'fz-audio';
    this.audioBox.style.display = 'none';
    container.append(this.gallery, this.audioBox);
  }

  audioContext() {
    if (!this.context) this.context = new AudioContext();
    if (this.context.state === 'suspended') this.context.resume().catch(() => {});
    return this.context;
  }

  setMode(mode) {
    this.mode = mode || 'split';
  }

  pathFor(userId) {
    if (this.mode === 'webaudio' || this.mode === 'element') return this.mode;
    if (this.mode === 'silent') return 'webaudio';
    return userId % 2 === 0 ? 'webaudio' : 'element';
  }

  remote(userId, userName) {
    let remote = this.remotes.get(userId);
    if (!remote) {
      const tile = document.createElement('div');
      tile.className = 'fz-tile';
      tile.dataset.userId = String(userId);
      tile.style.cssText = 'position:relative;width:240px;height:135px;background:#000';
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true;
      video.style.cssText = 'width:100%;height:100%;object-fit:contain';
      const label = document.createElement('div');
      label.className = 'fz-name';
      label.style.cssText = 'position:absolute;left:4px;bottom:2px;color:#fff;font:12px sans-serif';
      tile.append(video, label);
      this.gallery.append(tile);
      remote = {
        tile, video, label, audioPath: null, audioNode: null, audioElement: null, meter: null, audioTrack: null, videoTrack: null,
      };
      this.remotes.set(userId, remote);
    }
    if (userName !== undefined) remote.label.textContent = userName;
    return remote;
  }

  attach(userId, track, userName) {
    const remote = this.remote(userId, userName);
    if (track.kind === 'video') {
      remote.videoTrack = track;
      remote.video.srcObject = new MediaStream([track]);
      remote.video.play().catch(() => {});
      return;
    }
    this.detachAudio(remote);
    remote.audioTrack = track;
    remote.audioPath = this.pathFor(userId);
    const stream = new MediaStream([track]);
    if (remote.audioPath === 'webaudio') {
      const context = this.audioContext();
      const source = context.createMediaStreamSource(stream);
      const gain = context.createGain();
      // "silent": the meeting's audio never sounds, as when a browser keeps Zoom's audio output from playing.
      if (this.mode === 'silent') gain.gain.value = 0;
      source.connect(gain).connect(context.destination);
      // Chromium renders (decodes) remote WebRTC audio only for streams attached to a media element, so a
      // muted <audio> sink holds the stream; the sound itself goes through WebAudio only.
      const sink = document.createElement('audio');
      sink.muted = true;
      sink.autoplay = true;
      sink.dataset.fakezoomSink = 'webaudio';
      sink.dataset.userId = String(userId);
      sink.srcObject = stream;
      this.audioBox.append(sink);
      sink.play().catch(() => {});
      remote.audioNode = { source, gain, stream, sink };
      remote.meter = this.meter(gain);
    } else {
      const element = document.createElement('audio');
      element.autoplay = true;
      element.dataset.userId = String(userId);
      element.srcObject = stream;
      this.audioBox.append(element);
      element.play().catch(() => {});
      remote.audioElement = element;
      const context = this.audioContext();
      const source = context.createMediaStreamSource(stream);
      remote.meter = this.meter(source);
      remote.meter.source = source;
    }
  }

  // An analyser (not connected to any output) measuring the decoded audio of one remote participant.
  meter(node) {
    const analyser = this.audioContext().createAnalyser();
    analyser.fftSize = 2048;
    node.connect(analyser);
    return { analyser, buffer: new Float32Array(analyser.fftSize), source: null };
  }

  // RMS of the decoded audio of that participant right now (null without audio).
  audioLevel(userId) {
    const remote = this.remotes.get(userId);
    if (!remote || !remote.meter) return null;
    const { analyser, buffer } = remote.meter;
    analyser.getFloatTimeDomainData(buffer);
    let sum = 0;
    for (const value of buffer) sum += value * value;
    return Math.sqrt(sum / buffer.length);
  }

  detachAudio(remote) {
    if (remote.meter) {
      if (remote.meter.source) remote.meter.source.disconnect();
      remote.meter.analyser.disconnect();
      remote.meter = null;
    }
    if (remote.audioNode) {
      remote.audioNode.source.disconnect();
      remote.audioNode.gain.disconnect();
      remote.audioNode.sink.srcObject = null;
      remote.audioNode.sink.remove();
      remote.audioNode = null;
    }
    if (remote.audioElement) {
      remote.audioElement.srcObject = null;
      remote.audioElement.remove();
      remote.audioElement = null;
    }
    remote.audioTrack = null;
  }

  detach(userId) {
    const remote = this.remotes.get(userId);
    if (!remote) return;
    this.detachAudio(remote);
    remote.video.srcObject = null;
    remote.tile.remove();
    this.remotes.delete(userId);
  }

  setSelfVideo(track, userName) {
    if (!this.gallery) return;
    if (!this.selfTile) {
      this.selfTile = document.createElement('video');
      this.selfTile.className = 'fz-self';
      this.selfTile.dataset.self = 'true';
      this.selfTile.autoplay = true;
      this.selfTile.muted = true;
      this.selfTile.playsInline = true;
      this.selfTile.style.cssText = 'width:120px;height:68px;background:#000';
      this.selfTile.title = userName || '';
      this.gallery.prepend(this.selfTile);
    }
    this.selfTile.srcObject = track ? new MediaStream([track]) : null;
    this.selfTile.style.display = track ? '' : 'none';
  }

  clear() {
    for (const userId of [...this.remotes.keys()]) this.detach(userId);
    this.setSelfVideo(null);
  }

  destroy() {
    this.clear();
    if (this.context) this.context.close().catch(() => {});
    this.context = null;
  }
}
