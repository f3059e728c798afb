// core.js: constants, labels, failures and the event emitter shared by the stand-in's parts.
// The service concatenates the files of static/sdk/ inside one function scope (see sdk_bundle.py);
// SCRIPT_URL is defined by that wrapper.

const VERSION = '6.2.0';

// What Component View writes, by the key of the en-US dictionary compiled into the bundle the farm serves
// (dist/zoom-meeting-embedded-ES5.min.js); tests/fakes_zoom/test_toolbar_contract.py checks every entry.
const STRINGS = {
  wc_audio: 'Audio',
  toolbar_mute: 'Mute',
  toolbar_unmute: 'Unmute',
  toolbar_join_audio: 'Join Audio',
  wc_audio_setting: 'Audio Setting',
  'wc_video.start_video': 'Start Video',
  'wc_video.stop_video': 'Stop Video',
  'wc_video.video': 'Video',
  wc_participants: 'Participants',
  wc_sharer_entry_button_label1: 'Share Screen',
  wc_raise_hand: 'Raise Hand',
  wc_more: 'More',
  toolbar_leave: 'Leave',
  'wc_chat.chat': 'Chat',
  'wc_qa.setting_btn_name': 'Settings',
  'security.report': 'Report',
  'settings.statistics': 'Statistics',
  wc_waiting_room: 'Waiting Room',
  meeting_waiting_room: 'The host will let you in soon',
  wc_record_reminder_title: 'This meeting is being recorded',
  wc_record_reminder_desc: 'By continuing to be in the meeting, you are consenting to be recorded.',
  wc_join_media_preview_info_confirm: 'Got it',
  'dialog.btn_leaveconf_meeting': 'Leave Meeting',
};

// The title expressions of the toolbar's audio and video items, as the bundle writes them.
function audioTitleKey({ audioJoined, muted }) {
  return audioJoined ? (muted ? 'toolbar_unmute' : 'toolbar_mute') : 'wc_audio';
}

function videoTitleKey({ videoOn }) {
  return videoOn ? 'wc_video.stop_video' : 'wc_video.start_video';
}

// Event names the bundle accepts in on()/off() (the overloads of embedded.d.ts); others are dropped silently.
const PUBLIC_EVENTS = new Set([
  'connection-change', 'audio-statistic-data-change', 'video-statistic-data-change',
  'share-statistic-data-change', 'caption-message', 'recording-change', 'local-recording-change',
  'user-added', 'user-removed', 'user-updated', 'peer-share-state-change', 'active-speaker',
  'room-state-change', 'main-session-user-updated', 'broadcast-message', 'network-quality-change',
  'media-capture-status-change', 'chat-on-message', 'media-capture-permission-change', 'join-speed',
  'far-end-camera-request-control', 'far-end-camera-response-control',
  'far-end-camera-in-control-change', 'far-end-camera-capability-change', 'bot-relation-update',
]);

// ExecutedFailure as the bundle builds it: {type, reason, errorCode}.
function failure(type, reason, errorCode) {
  return { type, reason, errorCode };
}

const FAIL = {
  closed: () => failure('IMPROPER_MEETING_STATE', 'closed', 5002),
  reconnecting: () => failure('IMPROPER_MEETING_STATE', 'reconnecting', 5003),
  onHold: () => failure('IMPROPER_MEETING_STATE', 'on hold', 5004),
  hostOnly: () => failure('INSUFFICIENT_PRIVILEGES', 'only host can do the operation', 5007),
  managerOnly: () => failure('INSUFFICIENT_PRIVILEGES', 'only host or co-host can do the operation', 5006),
  unsupported: (what) => failure('INVALID_OPERATION', `${what} is not supported by the simulated SDK`, 2),
  duplicatedJoin: () => failure('INVALID_OPERATION', 'Duplicated join operation', 5012),
  invalidJoin: () => failure('INVALID_OPERATION', 'Invalid apiKey/sdkKey and/or signature', 5013),
  param: (reason) => failure('INVALID_PARAMETERS', reason, 4003),
};

// Client-side join validation rejects with a plain Error in the bundle; `type`/`reason` are added so that
// code reading either shape works.
function joinError(message) {
  const error = new Error(message);
  error.type = 'INVALID_PARAMETERS';
  error.reason = message;
  return error;
}

// The service's base URL: what precedes "/sdk/" in this script's own URL.
function serviceBaseFrom(url) {
  try {
    const parsed = new URL(url, location.href);
    const index = parsed.pathname.lastIndexOf('/sdk/');
    const prefix = index >= 0 ? parsed.pathname.slice(0, index) : '';
    return parsed.origin + prefix;
  } catch (e) {
    return location.origin;
  }
}

function decodeJwtPayload(token) {
  try {
    const part = String(token).split('.')[1];
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    return JSON.parse(atob(padded));
  } catch (e) {
    return null;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class Emitter {
  constructor() {
    this.listeners = new Map();
  }

  on(event, callback) {
    if (!PUBLIC_EVENTS.has(event) || typeof callback !== 'function') return;
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(callback);
  }

  off(event, callback) {
    const set = this.listeners.get(event);
    if (set) set.delete(callback);
  }

  emit(event, payload) {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const callback of [...set]) {
      try {
        callback(payload);
      } catch (error) {
        console.error(`[fake zoom] ${event} listener failed`, error);
      }
    }
  }

  clear() {
    this.listeners.clear();
  }
}
