// VoiceChat with the real SDK's surface: the microphone is opened like livekit-client's createLocalAudioTrack
// does it (getUserMedia with echoCancellation, noiseSuppression, autoGainControl and the deviceId, exact first,
// then ideal), speech is detected in the page and each utterance goes to the service as 16 kHz PCM.

import { EventEmitter } from "./emitter.js";
import {
  PushToTalkCommandEvent,
  PushToTalkServerEvent,
  SessionInteractivityMode,
  VoiceChatEvent,
  VoiceChatState,
} from "./enums.js";
import { SpeechDetector } from "./speech-detector.js";

const CAPTURE_RATE = 16000;
const PUSH_TO_TALK_TIMEOUT_MS = 10000;

// livekit-client's audio defaults (audioDefaults in livekit-client 2.15.7).
const AUDIO_DEFAULTS = { autoGainControl: true, echoCancellation: true, noiseSuppression: true, voiceIsolation: true };

export async function openMicrophone(deviceId) {
  const base = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (typeof deviceId === "string") {
    try {
      return await navigator.mediaDevices.getUserMedia({
        audio: { ...AUDIO_DEFAULTS, ...base, deviceId: { exact: deviceId } },
      });
    } catch (error) {
      console.warn("liveavatar stand-in: exact microphone not available, retrying with ideal", error);
      return navigator.mediaDevices.getUserMedia({ audio: { ...AUDIO_DEFAULTS, ...base, deviceId: { ideal: deviceId } } });
    }
  }
  return navigator.mediaDevices.getUserMedia({
    audio: { ...AUDIO_DEFAULTS, ...base, deviceId: deviceId ?? "default" },
  });
}

export class VoiceChat extends EventEmitter {
  // `transport` is the session's link to the service: {isConnected(), sendJson(m), sendBinary(b), events: emitter}.
  constructor(transport) {
    super();
    this.transport = transport;
    this._state = VoiceChatState.INACTIVE;
    this.mode = null;
    this.pushToTalkStarted = false;
    this.stream = null;
    this.track = null;
    this.capture = null;
  }

  setMode(mode) {
    if (this.mode) {
      console.warn("Voice chat mode can only be set once");
      return;
    }
    this.mode = mode;
  }

  get state() {
    return this._state;
  }

  set state(state) {
    if (this._state !== state) {
      this._state = state;
      this.emit(VoiceChatEvent.STATE_CHANGED, state);
    }
  }

  get isMuted() {
    return this.track ? !this.track.enabled : true;
  }

  async start(config = {}) {
    if (!this.transport.isConnected()) {
      console.warn("Voice chat can only be started when session is active");
      return;
    }
    if (this._state !== VoiceChatState.INACTIVE) {
      console.warn("Voice chat is already started");
      return;
    }
    this.state = VoiceChatState.STARTING;
    const { defaultMuted, deviceId, mode } = config;
    if (mode) this.setMode(mode);
    try {
      await this.openTrack(deviceId);
    } catch (error) {
      this.state = VoiceChatState.INACTIVE;
      throw error;
    }
    if (defaultMuted) {
      this.track.enabled = false;
      this.emit(VoiceChatEvent.MUTED);
    } else {
      this.emit(VoiceChatEvent.UNMUTED);
    }
    this.state = VoiceChatState.ACTIVE;
  }

  async openTrack(deviceId) {
    const stream = await openMicrophone(deviceId);
    const enabled = this.track ? this.track.enabled : true;
    this.closeTrack();
    this.stream = stream;
    this.track = stream.getAudioTracks()[0];
    this.track.enabled = enabled;
    this.capture = await startCapture(stream, {
      onStart: () => this.transport.sendJson({ type: "user.audio_start" }),
      onFrame: (pcm) => this.transport.sendBinary(pcm.buffer),
      onEnd: () => this.transport.sendJson({ type: "user.audio_end" }),
    });
  }

  closeTrack() {
    this.capture?.close();
    this.capture = null;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.track = null;
  }

  stop() {
    this.closeTrack();
    this.pushToTalkStarted = false;
    this.state = VoiceChatState.INACTIVE;
  }

  async mute() {
    if (!this.assertActive("Voice chat can only be muted when active")) return;
    if (this.track && this.track.enabled) {
      this.track.enabled = false;
      this.capture?.flush();
      this.emit(VoiceChatEvent.MUTED);
    }
  }

  async unmute() {
    if (!this.assertActive("Voice chat can only be unmuted when active")) return;
    if (this.track && !this.track.enabled) {
      this.track.enabled = true;
      this.emit(VoiceChatEvent.UNMUTED);
    }
  }

  async setDevice(deviceId) {
    if (!this.assertActive("Voice chat device can only be set when active")) return false;
    try {
      await this.openTrack(deviceId);
      return true;
    } catch (error) {
      console.warn("liveavatar stand-in: could not switch microphone", error);
      return false;
    }
  }

  async startPushToTalk() {
    if (!this.assertActive("Push to talk can only be started when voice chat is active")) return;
    if (this.mode !== SessionInteractivityMode.PUSH_TO_TALK) {
      console.warn("Push to talk can only be started in push to talk mode");
      return;
    }
    if (this.pushToTalkStarted) {
      console.warn("Push to talk has already been started");
      return;
    }
    this.pushToTalkStarted = true;
    const reply = this.waitFor(PushToTalkServerEvent.START_SUCCESS, PushToTalkServerEvent.START_FAILED);
    this.sendPushToTalkCommand(PushToTalkCommandEvent.START);
    try {
      await reply;
      await this.unmute();
    } catch (error) {
      console.error("Failed to start push to talk", error);
      this.pushToTalkStarted = false;
      throw error;
    }
  }

  async stopPushToTalk() {
    if (!this.pushToTalkStarted) {
      console.warn("Push to talk has not been started");
      return;
    }
    const reply = this.waitFor(PushToTalkServerEvent.STOP_SUCCESS, PushToTalkServerEvent.STOP_FAILED);
    this.capture?.flush();
    this.sendPushToTalkCommand(PushToTalkCommandEvent.STOP);
    try {
      await reply;
      this.pushToTalkStarted = false;
    } catch (error) {
      console.error("Failed to stop push to talk", error);
      throw error;
    }
  }

  sendPushToTalkCommand(command) {
    this.transport.sendJson({ type: "agent-control", data: { event_type: command } });
  }

  waitFor(success, failure) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(() => reject(new Error(`no ${success} from the service`))), PUSH_TO_TALK_TIMEOUT_MS);
      const onEvent = (event) => {
        if (event.event_type === success) done(resolve);
        else if (event.event_type === failure) done(() => reject(new Error(failure)));
      };
      const done = (settle) => {
        clearTimeout(timer);
        this.transport.events.off("raw-event", onEvent);
        settle();
      };
      this.transport.events.on("raw-event", onEvent);
    });
  }

  assertActive(message) {
    if (this._state !== VoiceChatState.ACTIVE) {
      console.warn(message ?? "Voice chat is not active");
      return false;
    }
    return true;
  }
}

async function startCapture(stream, handlers) {
  const context = new AudioContext({ sampleRate: CAPTURE_RATE });
  await context.audioWorklet.addModule(new URL("./capture-worklet.js", import.meta.url));
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, "liveavatar-capture");
  const sink = context.createGain();
  sink.gain.value = 0;
  const detector = new SpeechDetector(handlers);
  node.port.onmessage = (event) => detector.push(event.data);
  source.connect(node);
  node.connect(sink);
  sink.connect(context.destination); // keeps the graph pulling; silent
  context.resume().catch(() => {});
  return {
    flush: () => detector.finish(),
    close: () => {
      detector.finish();
      node.port.onmessage = null;
      source.disconnect();
      context.close().catch(() => {});
    },
  };
}
