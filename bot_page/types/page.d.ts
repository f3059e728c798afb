// What the bot page's scripts find on `window` and in Chromium beyond TypeScript's DOM library, for
// `tsc --checkJs` (make lint). The vendor SDKs' own typings describe the SDKs; this file only says where they are.

/** The media bridge's surface (js/media-bridge.js builds it; the modules use it). */
interface AvatarfarmDevice {
  deviceId: string;
  kind: MediaDeviceKind;
  label: string;
}

interface AvatarfarmBridge {
  readonly devices: Readonly<Record<"camera" | "microphone" | "meeting" | "speaker", AvatarfarmDevice>>;
  readonly requests: object[];
  configure(options: {
    width?: number;
    height?: number;
    fps?: number;
    placeholderFps?: number;
    professorName?: string;
    roomName?: string;
    excludeAudioFrom?: string[];
  }): void;
  setStatus(text: string): void;
  setAvatarVideo(video: HTMLVideoElement | null): void;
  wireAvatarMedia(): void;
  setMicOpen(open: boolean): void;
  readonly micOpen: boolean;
  meetingLevel(): number;
  ensureStarted(): void;
  readonly canvas: HTMLCanvasElement;
  readonly outboundTracks: { video: MediaStreamTrack; audio: MediaStreamTrack };
  meetingAudioStream(): MediaStream;
  thumbnail(width?: number): string;
  stats(): Promise<Record<string, unknown>>;
}

interface Window {
  __avatarfarmBridge: AvatarfarmBridge;
  /** The farm's Playwright binding (absent when a person opens the page by hand). */
  avatarfarmReport?: (message: object) => Promise<unknown>;
  __avatarfarmReports: object[];
  /** The page's command surface for the farm (js/bot.js). */
  avatarfarm: Readonly<Record<string, (...args: any[]) => unknown>>;
  /** The Zoom Meeting SDK's Component View, from its script tag (the UMD bundle calls it ReactWidgets). */
  ZoomMtgEmbedded?: typeof import("@zoom/meetingsdk/embedded").default;
  ReactWidgets?: typeof import("@zoom/meetingsdk/embedded").default;
  webkitAudioContext?: typeof AudioContext;
}

// Chromium's insertable streams for media (not in TypeScript's DOM library).
declare class MediaStreamTrackProcessor<T = VideoFrame> {
  constructor(init: { track: MediaStreamTrack; maxBufferSize?: number });
  readonly readable: ReadableStream<T>;
}

declare class MediaStreamTrackGenerator<T = VideoFrame> extends MediaStreamTrack {
  constructor(init: { kind: "video" | "audio" });
  readonly writable: WritableStream<T>;
}
