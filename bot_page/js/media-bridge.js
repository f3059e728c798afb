/*
 * avatarfarm media bridge: installed with Playwright's add_init_script, before any page script or SDK runs.
 *
 * It replaces navigator.mediaDevices.getUserMedia / enumerateDevices / getDisplayMedia with three virtual
 * devices:
 *   - "Avatar Camera"      a compositor canvas: the avatar's video while it plays, a placeholder card otherwise;
 *   - "Avatar Microphone"  a WebAudio destination fed by the avatar's voice;
 *   - "Meeting Audio"      a mix of everything the meeting SDK plays (WebAudio and media elements).
 * Every getUserMedia answer holds fresh clones, so an SDK that stops its tracks cannot break the sources, and
 * the outbound tracks never change when the avatar restarts: only the compositor's source does.
 *
 * A classic script (not a module) because init scripts run before modules can load. It exposes
 * window.__avatarfarmBridge for the bot page's modules.
 */
(() => {
  "use strict";
  if (window.__avatarfarmBridge) return;

  /** @type {AvatarfarmBridge["devices"]} */
  const DEVICES = Object.freeze({
    camera: { deviceId: "avatarfarm-avatar-camera", kind: "videoinput", label: "Avatar Camera" },
    microphone: { deviceId: "avatarfarm-avatar-microphone", kind: "audioinput", label: "Avatar Microphone" },
    meeting: { deviceId: "avatarfarm-meeting-audio", kind: "audioinput", label: "Meeting Audio" },
    speaker: { deviceId: "default", kind: "audiooutput", label: "Default Speaker" },
  });
  const GROUP_ID = "avatarfarm-virtual-devices";
  const LEVEL_FLOOR = 1e-4;

  const mediaDevices = navigator.mediaDevices;
  const original = {
    getUserMedia: mediaDevices && mediaDevices.getUserMedia ? mediaDevices.getUserMedia.bind(mediaDevices) : null,
    connect: AudioNode.prototype.connect,
    disconnect: AudioNode.prototype.disconnect,
    play: HTMLMediaElement.prototype.play,
    AudioContext: window.AudioContext,
    RTCPeerConnection: window.RTCPeerConnection,
  };

  const config = {
    width: 640,
    height: 360,
    fps: 25,
    // The placeholder card is a still picture with a turning arc: a few frames a second show it alive, and each
    // frame not drawn is a canvas read-back and an encode saved while a bot waits through the lecture.
    placeholderFps: 5,
    professorName: "Professor",
    roomName: "",
    status: "connecting…",
    // Stack fragments of scripts whose audio must never be tapped (the avatar SDK plays the avatar's voice).
    excludeAudioFrom: [],
  };

  // ---------------------------------------------------------------------------------------------------------
  // WebAudio: one context of our own for the microphone graph and the meeting mix.

  const ownContexts = new WeakSet();
  const excludedContexts = new WeakSet();
  let ctx = null;
  let micGain, micDestination, micAnalyser, meetingMix, meetingDestination, meetingAnalyser;
  // The outbound microphone is silent unless the bot's avatar is live in its room.
  let micOpen = false;

  function audio() {
    if (ctx) return ctx;
    // "playback" measured no cheaper per bot (×0.97, inside the spread) and 30 ms later (README, "Where the CPU
    // goes").
    ctx = new original.AudioContext({ latencyHint: "interactive" });
    ownContexts.add(ctx);
    micGain = ctx.createGain();
    micGain.gain.value = micOpen ? 1 : 0;
    micDestination = ctx.createMediaStreamDestination();
    micAnalyser = ctx.createAnalyser();
    micAnalyser.fftSize = 1024;
    original.connect.call(micGain, micDestination);
    original.connect.call(micGain, micAnalyser);
    meetingMix = ctx.createGain();
    meetingDestination = ctx.createMediaStreamDestination();
    meetingAnalyser = ctx.createAnalyser();
    meetingAnalyser.fftSize = 1024;
    original.connect.call(meetingMix, meetingDestination);
    original.connect.call(meetingMix, meetingAnalyser);
    const resume = () => ctx.state !== "running" && ctx.resume().catch(() => {});
    resume();
    setInterval(resume, 1000);
    return ctx;
  }

  function rms(analyser) {
    if (!analyser) return 0;
    const samples = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const value = Math.sqrt(sum / samples.length);
    return value < LEVEL_FLOOR ? 0 : value;
  }

  // The heartbeat's levels are the loudest reading since the previous heartbeat. One reading at heartbeat time
  // (an analyser window of ~21 ms every 2 s) mostly fell between words: "Room audio in" read 0 % in 14 heartbeats
  // while a student talked and was transcribed, the tap being fine.
  const LEVEL_SAMPLE_MS = 50;
  const loudest = { in: 0, out: 0 };
  setInterval(() => {
    if (!ctx) return;
    loudest.in = Math.max(loudest.in, rms(meetingAnalyser));
    loudest.out = Math.max(loudest.out, rms(micAnalyser));
  }, LEVEL_SAMPLE_MS);

  function loudestSinceLastRead(which, analyser) {
    const value = Math.max(loudest[which], rms(analyser));
    loudest[which] = 0;
    return value;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Camera: the outbound video track is a MediaStreamTrackGenerator. The avatar's decoded frames pass through
  // it as they are (re-stamped, and cropped and sized to the camera's shape by metadata only: the encoder
  // scales), so a live avatar costs no drawing, no canvas read-back and no colour conversion. While no avatar
  // picture arrives, a placeholder card is drawn on a canvas and sent at its own, lower frame rate.
  //
  // Measured (README, "What a bot costs"): drawing the avatar's <video> or VideoFrames onto a 2D canvas made
  // Chromium's software canvas keep a shared-memory copy of each frame, about 460 MiB per bot before the cache
  // stopped growing. Thumbnails of the avatar are therefore made from a frame's pixels (VideoFrame.copyTo), never
  // by drawing a frame: one drawn every 5 s grew it by 0.15 MiB/s.

  const canvas = document.createElement("canvas");
  canvas.width = config.width;
  canvas.height = config.height;
  const painter = canvas.getContext("2d", { alpha: false });
  let cameraStream = null;
  let cameraWriter = null;
  let avatarVideo = null;
  let avatarTrack = null; // our clone of the avatar's video track, read frame by frame
  let avatarSourceId = null; // the id of the avatar's own track that avatarTrack clones
  let avatarFrameAt = 0;
  let avatarSentAt = 0;
  let snapshotWanted = true; // the next avatar frame is copied for the thumbnail
  let snapshotWidth = 160;
  let avatarSnapshot = null; // ImageData, snapshotWidth wide: the avatar as it looked at the last thumbnail
  let drawTimer = null;
  let framesSent = 0;
  let avatarFramesSent = 0;
  const fpsWindow = [];

  function sent(now) {
    framesSent += 1;
    fpsWindow.push(now);
    while (fpsWindow.length && now - fpsWindow[0] > 2000) fpsWindow.shift();
  }

  /** Writes `frame` to the camera track (which takes it), or drops it when the track is behind. */
  function send(frame) {
    if (!cameraWriter || (cameraWriter.desiredSize !== null && cameraWriter.desiredSize <= 0)) {
      frame.close();
      return false;
    }
    cameraWriter.write(frame).catch(() => frame.close());
    sent(performance.now());
    return true;
  }

  /** The frame's largest centred part with the camera's aspect ratio, on even pixels (I420 subsampling). */
  function cameraCrop(frame) {
    const rect = frame.visibleRect;
    const want = config.width / config.height;
    let width = rect.width;
    let height = rect.height;
    if (width / height > want) width = Math.min(width, 2 * Math.round((height * want) / 2));
    else height = Math.min(height, 2 * Math.round(width / want / 2));
    const x = rect.x + 2 * Math.floor((rect.width - width) / 4);
    const y = rect.y + 2 * Math.floor((rect.height - height) / 4);
    return { x, y, width, height };
  }

  function passAvatarFrame(frame) {
    const now = performance.now();
    avatarFrameAt = now;
    // A stream much faster than the camera is thinned (to at most twice its rate), never queued; the half-period
    // bound lets a stream at the camera's own rate through despite its jitter.
    if (now - avatarSentAt < 500 / config.fps) {
      frame.close();
      return;
    }
    if (snapshotWanted) {
      snapshotWanted = false;
      const copy = frame.clone();
      snapshot(copy)
        .catch((error) => console.warn("avatarfarm: no thumbnail of the avatar", error))
        .finally(() => copy.close());
    }
    let out;
    try {
      out = new VideoFrame(frame, {
        timestamp: Math.round(now * 1000),
        visibleRect: cameraCrop(frame),
        displayWidth: config.width,
        displayHeight: config.height,
      });
    } finally {
      frame.close();
    }
    if (send(out)) {
      avatarSentAt = now;
      avatarFramesSent += 1;
    }
  }

  /** The frame's camera-shaped part, `snapshotWidth` wide, sampled from its RGBA pixels (nearest pixel). */
  async function snapshot(frame) {
    const rect = cameraCrop(frame);
    const pixels = new Uint8ClampedArray(rect.width * rect.height * 4);
    await frame.copyTo(pixels, { rect, format: "RGBA" });
    const width = snapshotWidth;
    const height = Math.max(1, Math.round((width * config.height) / config.width));
    const image = new ImageData(width, height);
    for (let y = 0; y < height; y++) {
      const row = Math.min(rect.height - 1, Math.floor(((y + 0.5) * rect.height) / height)) * rect.width;
      for (let x = 0; x < width; x++) {
        const from = (row + Math.min(rect.width - 1, Math.floor(((x + 0.5) * rect.width) / width))) * 4;
        image.data.set(pixels.subarray(from, from + 3), (y * width + x) * 4);
        image.data[(y * width + x) * 4 + 3] = 255;
      }
    }
    avatarSnapshot = image;
  }

  function stopAvatarFrames() {
    if (avatarTrack) avatarTrack.stop(); // ends the reader's stream: its loop returns
    avatarTrack = null;
    avatarSourceId = null;
    avatarFrameAt = 0;
  }

  async function readAvatarFrames(track) {
    const reader = new MediaStreamTrackProcessor({ track, maxBufferSize: 1 }).readable.getReader();
    while (avatarTrack === track) {
      const { value: frame, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      if (avatarTrack === track && cameraWriter) passAvatarFrame(frame);
      else frame.close();
    }
    reader.cancel().catch(() => {});
  }

  function wireAvatarVideo() {
    const stream = avatarVideo && avatarVideo.srcObject;
    const source = stream instanceof MediaStream ? stream.getVideoTracks()[0] : null;
    if (avatarTrack && source && avatarSourceId === source.id) return;
    stopAvatarFrames();
    if (!source || source.readyState === "ended") return;
    avatarTrack = source.clone();
    avatarSourceId = source.id;
    readAvatarFrames(avatarTrack);
  }

  function avatarIsPlaying() {
    return avatarTrack !== null && performance.now() - avatarFrameAt < 1000;
  }

  function initials(name) {
    const words = String(name).replace(/^(prof\.?|professor|dr\.?)\s+/i, "").split(/\s+/).filter(Boolean);
    return (words[0]?.[0] ?? "?").toUpperCase() + (words.length > 1 ? words[words.length - 1][0].toUpperCase() : "");
  }

  function drawPlaceholder(now) {
    const { width: w, height: h } = canvas;
    const gradient = painter.createLinearGradient(0, 0, w, h);
    gradient.addColorStop(0, "#1f2a44");
    gradient.addColorStop(1, "#3b2f5c");
    painter.fillStyle = gradient;
    painter.fillRect(0, 0, w, h);
    const r = Math.min(w, h) * 0.16;
    const cx = w / 2;
    const cy = h * 0.4;
    painter.fillStyle = "#e9e4f5";
    painter.beginPath();
    painter.arc(cx, cy, r, 0, Math.PI * 2);
    painter.fill();
    painter.fillStyle = "#3b2f5c";
    painter.font = `600 ${Math.round(r * 0.8)}px sans-serif`;
    painter.textAlign = "center";
    painter.textBaseline = "middle";
    painter.fillText(initials(config.professorName), cx, cy + 2);
    // A turning arc: frames keep changing, so receivers never mistake the card for a frozen stream.
    const angle = (now / 600) % (Math.PI * 2);
    painter.strokeStyle = "#9fd3ff";
    painter.lineWidth = Math.max(2, r * 0.08);
    painter.beginPath();
    painter.arc(cx, cy, r * 1.18, angle, angle + Math.PI * 0.6);
    painter.stroke();
    painter.fillStyle = "#ffffff";
    painter.font = `600 ${Math.round(h * 0.065)}px sans-serif`;
    painter.fillText(config.professorName, cx, h * 0.7);
    painter.fillStyle = "#c9c3dd";
    painter.font = `${Math.round(h * 0.045)}px sans-serif`;
    const subtitle = config.status || config.roomName;
    painter.fillText(subtitle, cx, h * 0.8);
  }

  function drawPlaceholderFrame() {
    const now = performance.now();
    if (avatarIsPlaying()) return;
    drawPlaceholder(now);
    send(new VideoFrame(canvas, { timestamp: Math.round(now * 1000) }));
    snapshotWanted = true;
  }

  function startDrawing() {
    if (drawTimer !== null) clearInterval(drawTimer);
    drawTimer = setInterval(drawPlaceholderFrame, 1000 / config.placeholderFps);
    drawPlaceholderFrame();
  }

  function camera() {
    if (!cameraStream) {
      const generator = new MediaStreamTrackGenerator({ kind: "video" });
      cameraWriter = generator.writable.getWriter();
      cameraStream = new MediaStream([generator]);
      startDrawing();
    }
    return cameraStream;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The avatar's media: its <video> feeds the compositor, its audio feeds the outbound microphone.

  let avatarAudioSource = null;
  let avatarAudioTrackId = null;

  function wireAvatarAudio() {
    const stream = avatarVideo && avatarVideo.srcObject;
    const track = stream instanceof MediaStream ? stream.getAudioTracks()[0] : null;
    if ((track ? track.id : null) === avatarAudioTrackId) return;
    if (avatarAudioSource) {
      original.disconnect.call(avatarAudioSource);
      avatarAudioSource = null;
    }
    avatarAudioTrackId = track ? track.id : null;
    if (track) {
      audio();
      avatarAudioSource = ctx.createMediaStreamSource(new MediaStream([track]));
      original.connect.call(avatarAudioSource, micGain);
    }
  }

  function wireAvatarMedia() {
    wireAvatarVideo();
    wireAvatarAudio();
  }

  function setAvatarVideo(video) {
    if (avatarVideo === video) return;
    avatarVideo = video;
    if (video) {
      ownElements.add(video);
      video.muted = true; // its voice goes out through the microphone graph, never to the page's speakers
      if (!watchedElements.has(video)) {
        watchedElements.add(video);
        for (const type of ["loadedmetadata", "playing", "emptied"]) {
          video.addEventListener(type, () => video === avatarVideo && wireAvatarMedia());
        }
      }
    }
    wireAvatarMedia();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Meeting audio tap: whatever the meeting SDK plays, through WebAudio or media elements, is mixed into
  // the "Meeting Audio" device. The avatar's own voice is excluded, so it never hears itself.

  const contextTaps = new WeakMap();
  const ownElements = new WeakSet();
  const elementTaps = new WeakMap();
  const watchedElements = new WeakSet();

  function createdByExcludedScript() {
    if (!config.excludeAudioFrom.length) return false;
    const stack = new Error().stack || "";
    return config.excludeAudioFrom.some((fragment) => stack.includes(fragment));
  }

  function PatchedAudioContext(...args) {
    const context = new original.AudioContext(...args);
    if (createdByExcludedScript()) excludedContexts.add(context);
    return context;
  }
  PatchedAudioContext.prototype = original.AudioContext.prototype;
  Object.setPrototypeOf(PatchedAudioContext, original.AudioContext);
  // A function standing in for the class (it returns the real context), which TypeScript cannot see.
  const patched = /** @type {typeof AudioContext} */ (/** @type {unknown} */ (PatchedAudioContext));
  window.AudioContext = patched;
  if (window.webkitAudioContext) window.webkitAudioContext = patched;

  function tapOf(context) {
    let tap = contextTaps.get(context);
    if (!tap) {
      audio();
      const destination = context.createMediaStreamDestination();
      const source = ctx.createMediaStreamSource(destination.stream);
      original.connect.call(source, meetingMix);
      tap = { destination, source };
      contextTaps.set(context, tap);
    }
    return tap.destination;
  }

  function tappable(node) {
    const context = node.context;
    return !ownContexts.has(context) && !excludedContexts.has(context);
  }

  AudioNode.prototype.connect = function connect(destination, ...rest) {
    const result = original.connect.call(this, destination, ...rest);
    if (destination instanceof AudioDestinationNode && tappable(this)) {
      try {
        original.connect.call(this, tapOf(this.context), rest[0] ?? 0);
      } catch (error) {
        console.warn("avatarfarm: meeting audio tap failed", error);
      }
    }
    return result;
  };

  AudioNode.prototype.disconnect = function disconnect(...args) {
    const result = original.disconnect.apply(this, args);
    const target = args[0];
    const tap = contextTaps.get(this.context);
    if (tap && target instanceof AudioDestinationNode) {
      try {
        original.disconnect.call(this, tap.destination);
      } catch {
        // was not connected to the tap
      }
    }
    return result;
  };

  function tapElement(element) {
    if (ownElements.has(element)) return;
    let tap = elementTaps.get(element);
    const stream = element.srcObject instanceof MediaStream ? element.srcObject : null;
    const key = stream ? stream.getAudioTracks().map((t) => t.id).join(",") : element.currentSrc || element.src;
    if (tap && tap.key === key) {
      tap.gain.gain.value = element.muted ? 0 : element.volume;
      return;
    }
    if (tap) original.disconnect.call(tap.source);
    const input = stream ?? (typeof element.captureStream === "function" ? element.captureStream() : null);
    if (!input || input.getAudioTracks().length === 0) return; // tapped again once it plays sound
    audio();
    let source;
    try {
      source = ctx.createMediaStreamSource(input);
    } catch (error) {
      console.warn("avatarfarm: media element tap failed", error);
      return;
    }
    const gain = ctx.createGain();
    gain.gain.value = element.muted ? 0 : element.volume;
    original.connect.call(source, gain);
    original.connect.call(gain, meetingMix);
    elementTaps.set(element, { key, source, gain });
    if (!watchedElements.has(element)) {
      watchedElements.add(element);
      element.addEventListener("volumechange", () => tapElement(element));
      element.addEventListener("emptied", () => tapElement(element));
    }
  }

  HTMLMediaElement.prototype.play = function play(...args) {
    const result = original.play.apply(this, args);
    const element = this;
    Promise.resolve(result).then(
      () => tapElement(element),
      () => {},
    );
    return result;
  };
  // Elements that autoplay without play() being called.
  document.addEventListener("playing", (event) => event.target instanceof HTMLMediaElement && tapElement(event.target), true);

  // ---------------------------------------------------------------------------------------------------------
  // Outbound WebRTC statistics: what is really sent (fps, resolution), from every peer connection.

  const peerConnections = new Set();
  if (original.RTCPeerConnection) {
    const Tracked = class extends original.RTCPeerConnection {
      constructor(...args) {
        super(...args);
        peerConnections.add(this);
        this.addEventListener("connectionstatechange", () => {
          if (this.connectionState === "closed") peerConnections.delete(this);
        });
      }
    };
    window.RTCPeerConnection = Tracked;
  }

  async function outboundVideo() {
    let best = null;
    for (const pc of peerConnections) {
      if (pc.connectionState === "closed") continue;
      const report = await pc.getStats().catch(() => null);
      if (!report) continue;
      report.forEach((stat) => {
        if (stat.type === "outbound-rtp" && stat.kind === "video" && (!best || (stat.framesSent ?? 0) > best.framesSent)) {
          best = {
            framesSent: stat.framesSent ?? 0,
            fps: stat.framesPerSecond ?? 0,
            width: stat.frameWidth ?? 0,
            height: stat.frameHeight ?? 0,
          };
        }
      });
    }
    return best;
  }

  // ---------------------------------------------------------------------------------------------------------
  // The virtual devices.

  function matches(constraint, deviceId) {
    if (constraint === undefined || constraint === null) return false;
    if (typeof constraint === "string") return constraint === deviceId;
    if (Array.isArray(constraint)) return constraint.includes(deviceId);
    if (typeof constraint === "object") {
      return matches(constraint.exact, deviceId) || matches(constraint.ideal, deviceId);
    }
    return false;
  }

  function requestedDevice(constraints, kind) {
    const wanted = constraints && constraints[kind];
    if (!wanted) return null;
    const deviceId = typeof wanted === "object" ? wanted.deviceId : undefined;
    if (kind === "video") return DEVICES.camera;
    if (matches(deviceId, DEVICES.meeting.deviceId)) return DEVICES.meeting;
    return DEVICES.microphone; // the avatar's voice: when asked by id, for "default", or without an id
  }

  function deviceTrack(device) {
    if (device === DEVICES.camera) return camera().getVideoTracks()[0];
    audio();
    const stream = device === DEVICES.meeting ? meetingDestination.stream : micDestination.stream;
    return stream.getAudioTracks()[0];
  }

  function labelled(track, device) {
    const clone = track.clone();
    try {
      Object.defineProperty(clone, "label", { value: device.label, configurable: true });
    } catch {
      // label stays the browser's
    }
    const getSettings = clone.getSettings.bind(clone);
    clone.getSettings = () => ({ ...getSettings(), deviceId: device.deviceId, groupId: GROUP_ID });
    return clone;
  }

  async function getUserMedia(constraints) {
    const tracks = [];
    for (const kind of ["audio", "video"]) {
      const device = requestedDevice(constraints, kind);
      if (device) tracks.push(labelled(deviceTrack(device), device));
    }
    if (!tracks.length) throw new TypeError("getUserMedia: at least one of audio and video must be requested");
    bridge.requests.push({
      at: Date.now(),
      audio: constraints && constraints.audio ? requestedDevice(constraints, "audio").label : null,
      video: constraints && constraints.video ? DEVICES.camera.label : null,
    });
    return new MediaStream(tracks);
  }

  function deviceInfo(device) {
    const info = Object.create(window.MediaDeviceInfo ? MediaDeviceInfo.prototype : Object.prototype);
    const fields = { deviceId: device.deviceId, kind: device.kind, label: device.label, groupId: GROUP_ID };
    for (const [name, value] of Object.entries(fields)) {
      Object.defineProperty(info, name, { value, enumerable: true });
    }
    Object.defineProperty(info, "toJSON", { value: () => ({ ...fields }) });
    return info;
  }

  if (mediaDevices) {
    mediaDevices.getUserMedia = getUserMedia;
    mediaDevices.enumerateDevices = async () =>
      [DEVICES.camera, DEVICES.microphone, DEVICES.meeting, DEVICES.speaker].map(deviceInfo);
    mediaDevices.getDisplayMedia = async () => {
      throw new DOMException("Screen sharing is not available to an avatar bot.", "NotAllowedError");
    };
  }
  if (navigator.permissions && navigator.permissions.query) {
    const query = navigator.permissions.query.bind(navigator.permissions);
    navigator.permissions.query = (descriptor) =>
      descriptor && (descriptor.name === "camera" || descriptor.name === "microphone")
        ? Promise.resolve({ name: descriptor.name, state: "granted", onchange: null, addEventListener() {}, removeEventListener() {} })
        : query(descriptor);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The bridge's surface for the bot page.

  /** @type {AvatarfarmBridge} */
  const bridge = {
    devices: DEVICES,
    requests: [],
    configure(options) {
      const resize = (options.width && options.width !== config.width) || (options.height && options.height !== config.height);
      const refps = options.placeholderFps && options.placeholderFps !== config.placeholderFps;
      Object.assign(config, options);
      if (resize) {
        canvas.width = config.width;
        canvas.height = config.height;
      }
      if (refps && cameraStream) startDrawing();
    },
    setStatus(text) {
      config.status = text;
    },
    setAvatarVideo,
    wireAvatarMedia,
    /** Opens or silences the outbound microphone (the avatar's voice) without changing the track. */
    setMicOpen(open) {
      micOpen = Boolean(open);
      if (micGain) micGain.gain.setTargetAtTime(micOpen ? 1 : 0, ctx.currentTime, 0.02);
    },
    get micOpen() {
      return micOpen;
    },
    /** RMS level of what the meeting plays right now (the room's voices; never the avatar's own). */
    meetingLevel() {
      return rms(meetingAnalyser);
    },
    ensureStarted() {
      camera();
      audio();
    },
    get canvas() {
      return canvas;
    },
    get outboundTracks() {
      return { video: camera().getVideoTracks()[0], audio: (audio(), micDestination.stream.getAudioTracks()[0]) };
    },
    meetingAudioStream() {
      audio();
      return meetingDestination.stream;
    },
    /** A JPEG data URL of what the camera sends: the avatar as of the last call, or the placeholder now. */
    thumbnail(width = 160) {
      snapshotWanted = true; // the next call shows the avatar as it is then
      snapshotWidth = width;
      const small = document.createElement("canvas");
      small.width = width;
      small.height = Math.round((canvas.height * width) / canvas.width);
      if (avatarIsPlaying() && avatarSnapshot && avatarSnapshot.width === width) {
        small.getContext("2d").putImageData(avatarSnapshot, 0, 0);
      } else {
        small.getContext("2d").drawImage(canvas, 0, 0, small.width, small.height);
      }
      return small.toDataURL("image/jpeg", 0.7);
    },
    async stats() {
      const now = performance.now();
      const recent = fpsWindow.filter((t) => now - t <= 1000).length;
      return {
        compositor: { fps: recent, width: canvas.width, height: canvas.height, frames: framesSent },
        avatar_frames: avatarFramesSent,
        avatar_playing: avatarIsPlaying(),
        level_out: loudestSinceLastRead("out", micAnalyser),
        mic_open: micOpen,
        level_in: loudestSinceLastRead("in", meetingAnalyser),
        outbound_video: await outboundVideo(),
        audio_context: ctx ? ctx.state : "none",
      };
    },
  };
  Object.defineProperty(window, "__avatarfarmBridge", { value: bridge, enumerable: false });
})();
