// client.js: the Component View client (the EmbeddedClient namespace of embedded.d.ts) and the global.
//
// ClientCore holds the state and talks to the service; EmbeddedClient exposes exactly the public API, with
// the parameter names of embedded.d.ts (optional parameters have defaults so that fn.length counts only the
// required ones).

const CORE = Symbol('fakeZoomCore');
const APP_NAME = 'avatarfarm';

function copy(value) {
  return value === undefined || value === null ? value : JSON.parse(JSON.stringify(value));
}

class ClientCore {
  constructor(emitter) {
    this.emitter = emitter;
    this.phase = 'idle'; // idle | initialized | joining | joined
    this.reconnecting = false;
    this.baseUrl = serviceBaseFrom(SCRIPT_URL);
    this.options = {};
    this.root = null;
    this.snapshot = null;
    this.joinArgs = null;
    this.joinWaiter = null;
    this.quietJoin = false;
    this.signalling = null;
    this.playback = new Playback();
    this.mesh = new PeerMesh({
      send: (to, data) => this.signalling && this.signalling.send({ op: 'signal', to, data }),
      onRemoteTrack: (userId, track) => this.playback.attach(userId, track, this.nameOf(userId)),
      onPeerGone: (userId) => this.playback.detach(userId),
    });
    this.reporter = new MediaReporter(this.mesh, this.playback);
    this.toolbar = new Toolbar({
      audio: () => this.toggleAudio(),
      video: () => this.toggleVideo(),
      leave: () => this.leave(undefined).catch(() => {}),
    });
    this.consent = new RecordingConsent({
      onConsent: () => this.giveConsent(),
      onLeave: () => this.leave(undefined).catch(() => {}),
    });
    this.consented = false;
    this.local = { audio: null, video: null, audioJoined: false, muted: true, videoOn: false };
    this.statsTimer = null;
    this.pins = [];
    this.unloadHandler = null;
  }

  // ----- init / join

  init(args) {
    if (!args || typeof args !== 'object') return Promise.reject(FAIL.param('init options are required'));
    this.options = { ...args };
    const endpoint = args.webEndpoint;
    if (typeof endpoint === 'string' && endpoint) {
      if (/^https?:\/\//.test(endpoint)) this.baseUrl = endpoint.replace(/\/+$/, '');
      else if (!/(^|\.)zoom\.us$/.test(endpoint) && !/(^|\.)zoomgov\.com$/.test(endpoint)) {
        this.baseUrl = `${location.protocol}//${endpoint}`;
      }
    }
    if (args.zoomAppRoot && args.zoomAppRoot !== this.root) {
      this.toolbar.unmount();
      this.root = args.zoomAppRoot;
      const container = this.toolbar.mount(this.root);
      this.playback.mount(this.root, container);
      this.toolbar.finishMount();
      this.consent.mount(container);
    }
    if (args.leaveOnPageUnload && !this.unloadHandler) {
      this.unloadHandler = () => {
        if (this.phase === 'joined') this.signalling.request('leaveMeeting', {}).catch(() => {});
      };
      window.addEventListener('pagehide', this.unloadHandler);
    }
    if (this.phase === 'idle') this.phase = 'initialized';
    this.render();
    return Promise.resolve('');
  }

  async join(args) {
    if (this.phase === 'joined' || this.phase === 'joining') throw FAIL.duplicatedJoin();
    if (this.phase === 'idle') throw failure('INVALID_OPERATION', 'Please call init before join', 5013);
    args = args || {};
    if (!args.signature) throw FAIL.invalidJoin();
    const claims = decodeJwtPayload(args.signature);
    if (claims && !claims.appKey) {
      if (claims.sdkKey) console.warn('sdkKey will be deprecated in the signature after v5.0.0, please use appKey');
      else {
        console.warn('The appKey is required to be included in the signature.');
        throw joinError('appKey can not empty in the signature');
      }
    }
    if (!this.root) throw joinError('zoomAppRoot must be defined');
    if (!args.userName) throw joinError('userName cannot be empty');
    if (args.zak && args.obfToken) throw joinError('zak and obfToken are mutually exclusive. Please provide only one.');
    this.joinArgs = { ...args };
    this.consented = false;
    this.phase = 'joining';
    try {
      await this.connectAndJoin();
    } catch (error) {
      if (typeof args.error === 'function') args.error(error);
      throw error;
    }
    if (typeof args.success === 'function') args.success('');
    return '';
  }

  // quiet: a failover rejoin, which reports no `Fail` of its own.
  async connectAndJoin(quiet = false) {
    const args = this.joinArgs;
    this.quietJoin = quiet;
    const signalling = new Signalling(
      this.baseUrl,
      (message) => this.onMessage(signalling, message),
      () => this.onSocketClosed(signalling),
    );
    this.signalling = signalling;
    try {
      await signalling.connect();
    } catch (error) {
      this.signalling = null;
      this.phase = 'initialized';
      const payload = { errorCode: 3622, reason: 'Could not connect to Web Server error.' };
      if (!quiet) this.emitter.emit('connection-change', { state: 'Fail', ...payload });
      throw { type: 'JOIN_MEETING_FAILED', ...payload };
    }
    const joined = new Promise((resolve, reject) => {
      this.joinWaiter = { resolve, reject };
    });
    signalling.send({
      op: 'join',
      meetingNumber: String(args.meetingNumber || '').replace(/\s+/g, ''),
      userName: args.userName,
      userEmail: args.userEmail || '',
      password: args.password || '',
      signature: args.signature,
      customerKey: args.customerKey || '',
      zak: args.zak || '',
      obfToken: args.obfToken || '',
      recordingToken: args.recordingToken || '',
      automated: navigator.webdriver === true || /HeadlessChrome/.test(navigator.userAgent),
    });
    return joined;
  }

  onMessage(signalling, message) {
    if (signalling !== this.signalling) return;
    switch (message.op) {
      case 'state':
        this.applyState(message);
        break;
      case 'joined':
        this.onJoined();
        break;
      case 'join_failed':
        this.onJoinFailed(message);
        break;
      case 'event':
        if (message.name === 'connection-change') {
          this.reconnecting = message.payload && message.payload.state === 'Reconnecting';
          if (this.reconnecting && message.payload.reason !== 'failover') this.startMove();
        }
        if (this.phase === 'joined') this.emitter.emit(message.name, message.payload);
        break;
      case 'signal':
        this.mesh.handleSignal(message.from, message.data);
        break;
      case 'remote-mute':
        this.setMuted(Boolean(message.mute));
        break;
      case 'closed':
        this.close({ state: 'Closed', reason: message.reason });
        break;
      default:
        break;
    }
  }

  // While moving between rooms the real bundle's breakout getters answer undefined for a moment.
  startMove() {
    const gap = this.quirk('breakoutGettersGapMs', 0);
    this.movingUntil = gap > 0 ? Date.now() + gap : 0;
  }

  moving() {
    return Boolean(this.movingUntil) && Date.now() < this.movingUntil;
  }

  quirk(name, fallback) {
    const quirks = this.snapshot && this.snapshot.quirks;
    return quirks && quirks[name] !== undefined ? quirks[name] : fallback;
  }

  onJoined() {
    this.phase = 'joined';
    this.reconnecting = false;
    this.startStats();
    this.render();
    this.emitter.emit('connection-change', { state: 'Connected' });
    if (this.joinWaiter) this.joinWaiter.resolve('');
    this.joinWaiter = null;
    const everyone = this.snapshot ? this.snapshot.participants : [];
    if (everyone.length) this.emitter.emit('user-added', copy(everyone));
    this.sendMedia();
  }

  onJoinFailed(message) {
    const payload = { errorCode: message.errorCode, reason: message.reason };
    const signalling = this.signalling;
    this.signalling = null;
    if (signalling) signalling.close();
    this.phase = 'initialized';
    this.snapshot = null;
    if (!this.quietJoin) this.emitter.emit('connection-change', { state: 'Fail', ...payload });
    if (this.joinWaiter) this.joinWaiter.reject({ type: 'JOIN_MEETING_FAILED', ...payload });
    this.joinWaiter = null;
  }

  onSocketClosed(signalling) {
    if (signalling !== this.signalling) return;
    if (this.phase === 'joining') {
      this.onJoinFailed({ errorCode: 3622, reason: 'Could not connect to Web Server error.' });
      return;
    }
    if (this.phase !== 'joined') return;
    // The service went away: the SDK shows a failover, then tries to get back in.
    this.emitter.emit('connection-change', { state: 'Reconnecting', reason: 'failover' });
    this.reconnecting = true;
    this.teardownMedia();
    this.failover().catch(() => {});
  }

  async failover() {
    for (let attempt = 0; attempt < 10; attempt++) {
      await sleep(1000);
      if (!this.reconnecting) return; // left, closed or destroyed meanwhile
      this.phase = 'joining';
      this.snapshot = null;
      try {
        await this.connectAndJoin(true);
        return; // onJoined reported Connected
      } catch (error) {
        if (!error || error.errorCode !== 3622) break; // the service is back but refuses us
      }
    }
    if (!this.reconnecting) return;
    this.phase = 'joined';
    this.close({ state: 'Closed', reason: 'unknown reason: 0' });
  }

  // ----- state from the service

  applyState(state) {
    const before = this.snapshot;
    this.snapshot = state;
    const media = state.media || {};
    this.playback.setMode(media.audioPlayback);
    this.mesh.update(state.self.userId, media.room === undefined ? null : media.room, media.peers || []);
    for (const peer of media.peers || []) {
      const remote = this.playback.remotes.get(peer.userId);
      if (remote) remote.label.textContent = peer.userName;
    }
    if (this.phase === 'joined' && before) this.emitParticipantChanges(before, state);
    this.holdForConsent();
    this.render();
  }

  emitParticipantChanges(before, after) {
    const hints = after.hints || {};
    const addedHints = hints.added || {};
    const removedHints = hints.removed || {};
    const previous = new Map(before.participants.map((p) => [p.userId, p]));
    const current = new Map(after.participants.map((p) => [p.userId, p]));
    const added = after.participants
      .filter((p) => !previous.has(p.userId))
      .map((p) => (addedHints[p.userId] ? { ...p, source: addedHints[p.userId] } : { ...p }));
    const removed = before.participants
      .filter((p) => !current.has(p.userId))
      .map((p) => (removedHints[p.userId] ? { ...p, reason: removedHints[p.userId] } : { ...p }));
    const updated = after.participants.filter(
      (p) => previous.has(p.userId) && JSON.stringify(previous.get(p.userId)) !== JSON.stringify(p),
    );
    if (added.length) this.emitter.emit('user-added', copy(added));
    if (updated.length) this.emitter.emit('user-updated', copy(updated));
    if (removed.length) this.emitter.emit('user-removed', copy(removed));
  }

  nameOf(userId) {
    const peers = (this.snapshot && this.snapshot.media && this.snapshot.media.peers) || [];
    const peer = peers.find((p) => p.userId === userId);
    return peer ? peer.userName : '';
  }

  self() {
    return this.phase === 'joined' && this.snapshot ? this.snapshot.self : null;
  }

  // ----- guards and requests

  guard() {
    if (this.phase !== 'joined' || !this.snapshot) return FAIL.closed();
    if (this.reconnecting) return FAIL.reconnecting();
    if (this.snapshot.self.isHold) return FAIL.onHold();
    return null;
  }

  request(method, params) {
    const problem = this.guard();
    if (problem) return Promise.reject(problem);
    return this.signalling.request(method, params);
  }

  leave(userId) {
    if (this.phase !== 'joined' || !this.signalling) return Promise.reject(FAIL.closed());
    const params = userId === undefined ? {} : { userId };
    return this.signalling.request('leaveMeeting', params);
  }

  close(payload, emit = true) {
    const wasJoined = this.phase === 'joined' || this.reconnecting;
    const signalling = this.signalling;
    this.signalling = null;
    if (signalling) signalling.close();
    this.phase = this.phase === 'idle' ? 'idle' : 'initialized';
    this.reconnecting = false;
    this.snapshot = null;
    this.teardownMedia();
    this.stopLocal('audio');
    this.stopLocal('video');
    this.render();
    if (emit || wasJoined) this.emitter.emit('connection-change', payload);
  }

  teardownMedia() {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    this.reporter.pause();
    this.mesh.update(null, null, []);
    this.playback.clear();
  }

  // ----- local media (the toolbar buttons)

  async pickDevice(kind) {
    const find = (devices) => devices.find((d) => d.kind === kind && d.deviceId);
    let device = find(await navigator.mediaDevices.enumerateDevices());
    if (!device) {
      // Device ids stay hidden until the page has used the device once.
      const probe = await navigator.mediaDevices.getUserMedia(kind === 'audioinput' ? { audio: true } : { video: true });
      probe.getTracks().forEach((track) => track.stop());
      device = find(await navigator.mediaDevices.enumerateDevices());
    }
    return device ? device.deviceId : null;
  }

  async joinAudio() {
    if (this.quirk('computerAudioFails', false)) {
      // What the bundle does when startAudio fails: log it and show "unable to join audio"; nothing joins.
      console.error('Failed to start audio:', failure('INVALID_OPERATION', 'audio failed to start', 1));
      return;
    }
    const deviceId = await this.pickDevice('audioinput');
    const audio = deviceId ? { deviceId: { exact: deviceId } } : true;
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    const track = stream.getAudioTracks()[0];
    this.stopLocal('audio');
    this.local.audio = track;
    this.local.audioJoined = true;
    this.local.muted = Boolean(this.quirk('muteOnEntry', false)) || this.webinarAttendee() || this.consentPending();
    track.enabled = !this.local.muted;
    this.mesh.setLocalTrack('audio', track);
    this.reporter.setLocalAudio(track);
    this.sendMedia();
    this.render();
  }

  async startVideo() {
    const deviceId = await this.pickDevice('videoinput');
    const video = deviceId
      ? { deviceId: { exact: deviceId }, width: { ideal: 640 }, height: { ideal: 360 } }
      : { width: { ideal: 640 }, height: { ideal: 360 } };
    const stream = await navigator.mediaDevices.getUserMedia({ video });
    const track = stream.getVideoTracks()[0];
    this.stopLocal('video');
    this.local.video = track;
    this.local.videoOn = true;
    this.mesh.setLocalTrack('video', track);
    this.playback.setSelfVideo(track, this.joinArgs ? this.joinArgs.userName : '');
    this.sendMedia();
    this.render();
  }

  stopLocal(kind) {
    const track = this.local[kind];
    if (track) track.stop();
    this.local[kind] = null;
    this.mesh.setLocalTrack(kind, null);
    if (kind === 'audio') {
      this.local.audioJoined = false;
      this.local.muted = true;
      this.reporter.setLocalAudio(null);
    } else {
      this.local.videoOn = false;
      this.playback.setSelfVideo(null);
    }
  }

  // ----- recording consent

  consentPending() {
    const self = this.self();
    return Boolean(self && !self.isHold && this.snapshot.recording === 'Recording' && !this.consented);
  }

  // While consent is pending the participant stays muted with video off.
  holdForConsent() {
    if (!this.consentPending()) return;
    if (this.local.audioJoined && !this.local.muted) {
      this.local.muted = true;
      if (this.local.audio) this.local.audio.enabled = false;
      this.sendMedia();
    }
    if (this.local.videoOn) {
      this.stopLocal('video');
      this.sendMedia();
    }
  }

  giveConsent() {
    if (!this.consentPending()) return;
    this.consented = true;
    if (this.signalling) this.signalling.send({ op: 'recording_consent' });
    this.render();
  }

  // In a webinar everyone but the host and co-hosts is an attendee, who listens and may not talk.
  webinarAttendee() {
    const self = this.self();
    return Boolean(this.quirk('webinar', false) && self && !self.isHost && !self.isCoHost);
  }

  setMuted(muted) {
    if (!muted && (this.webinarAttendee() || this.consentPending())) muted = true;
    this.local.muted = muted;
    if (this.local.audio) this.local.audio.enabled = !muted;
    this.sendMedia();
    this.render();
  }

  toggleAudio() {
    if (this.guard()) return Promise.resolve();
    if (!this.local.audioJoined) return this.joinAudio();
    this.setMuted(!this.local.muted);
    return Promise.resolve();
  }

  toggleVideo() {
    if (this.guard() || this.webinarAttendee() || (!this.local.videoOn && this.consentPending())) {
      return Promise.resolve();
    }
    if (!this.local.videoOn) return this.startVideo();
    this.stopLocal('video');
    this.sendMedia();
    this.render();
    return Promise.resolve();
  }

  sendMedia() {
    if (this.phase !== 'joined' || !this.signalling) return;
    this.signalling.send({
      op: 'media',
      audio: this.local.audioJoined,
      muted: this.local.muted,
      video: this.local.videoOn,
    });
  }

  startStats() {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.reporter.start();
    let busy = false;
    this.statsTimer = setInterval(async () => {
      if (busy || this.phase !== 'joined' || !this.signalling) return;
      busy = true;
      try {
        const report = await this.reporter.collect({
          audio: this.local.audioJoined,
          muted: this.local.muted,
          video: this.local.videoOn,
        });
        if (this.signalling) this.signalling.send({ op: 'stats', report });
      } catch (error) {
        console.warn('[fake zoom] stats failed', error);
      } finally {
        busy = false;
      }
    }, 1000);
  }

  render() {
    const self = this.self();
    let statusText = '';
    if (this.phase === 'joining') statusText = 'Joining…';
    else if (self && self.isHold) statusText = `${STRINGS.wc_waiting_room}: ${STRINGS.meeting_waiting_room}`;
    else if (self) {
      const current = this.snapshot.breakout.current;
      statusText = self.bid && current.name ? `Breakout room: ${current.name}` : 'Main session';
    }
    this.toolbar.render({
      joined: this.phase === 'joined',
      onHold: Boolean(self && self.isHold),
      audioJoined: this.local.audioJoined,
      muted: this.local.muted,
      videoOn: this.local.videoOn,
      webinarAttendee: this.webinarAttendee(),
      statusText,
    });
    this.consent.render(this.phase === 'joined' && this.consentPending());
  }

  destroy() {
    if (this.phase === 'joined' && this.signalling) this.signalling.request('leaveMeeting', {}).catch(() => {});
    this.close({ state: 'Closed', reason: 'user request' }, false);
    if (this.unloadHandler) window.removeEventListener('pagehide', this.unloadHandler);
    this.reporter.stop();
    this.playback.destroy();
    this.toolbar.unmount();
    this.emitter.clear();
    this.phase = 'idle';
  }
}

// sendChat's refusals, in the served bundle's words (tests/fakes_zoom/test_chat_contract.py).
const CHAT_WORDS = Object.freeze({
  noPrivilege: 'You dont have the privilege',
  invalidMessage: 'Invalid chat message',
  invalidUserId: 'Invalid userId',
});

const NOT_FOUND = () => failure('INVALID_PARAMETERS', 'no matching user', 5011);

class EmbeddedClient {
  constructor() {
    Object.defineProperty(this, CORE, { value: new ClientCore(new Emitter()) });
  }

  init(args) {
    return this[CORE].init(args);
  }

  join(args) {
    return this[CORE].join(args);
  }

  getCurrentUser() {
    return copy(this[CORE].self());
  }

  getCurrentMeetingInfo() {
    const core = this[CORE];
    const info = (core.snapshot && core.snapshot.meeting) || {};
    return {
      meetingNumber: info.meetingNumber || 0,
      password: info.password || '',
      telPwd: '',
      meetingTopic: info.meetingTopic || '',
      lang: core.options.language || 'en-US',
      meetingId: info.meetingId || '',
      webEndpoint: core.baseUrl,
      userName: '',
      userId: 0,
      userEmail: '',
      inviteEmail: '',
      customerKey: '',
      encryptionType: '',
      region: '',
      network: '',
      isInMeeting: core.phase === 'joined',
      participantId: 0,
      recordingInfo: undefined,
    };
  }

  getAttendeeslist() {
    const core = this[CORE];
    return core.phase === 'joined' && core.snapshot ? copy(core.snapshot.participants) : [];
  }

  stopAudio() {
    const core = this[CORE];
    const problem = core.guard();
    if (problem) return Promise.reject(problem);
    core.stopLocal('audio');
    core.sendMedia();
    core.render();
    return Promise.resolve('');
  }

  mute(mute, userId = undefined) {
    const core = this[CORE];
    const self = core.self();
    if (userId === undefined || (self && userId === self.userId)) {
      const problem = core.guard();
      if (problem) return Promise.reject(problem);
      core.setMuted(Boolean(mute));
      return Promise.resolve('');
    }
    return core.request('mute', { mute: Boolean(mute), userId });
  }

  muteAll(muteAll) {
    return this[CORE].request('muteAll', { muteAll: Boolean(muteAll) });
  }

  rename(newName, userId) {
    return this[CORE].request('rename', { newName, userId });
  }

  admit(userId) {
    return this[CORE].request('admit', { userId });
  }

  admitAll() {
    return this[CORE].request('admitAll', {});
  }

  expel(userId) {
    return this[CORE].request('expel', { userId });
  }

  record(record) {
    return unsupported(this, 'record');
  }

  mediaCapture(record) {
    return unsupported(this, 'mediaCapture');
  }

  mediaCapturePermission(operation, userId = undefined, mediaCapturePermission = undefined) {
    return unsupported(this, 'mediaCapturePermission');
  }

  lockMeeting(lockMeeting) {
    return unsupported(this, 'lockMeeting');
  }

  leaveMeeting(userId = undefined) {
    return this[CORE].leave(userId);
  }

  endMeeting() {
    const core = this[CORE];
    const self = core.self();
    if (!self) return Promise.reject(FAIL.closed());
    if (!self.isHost) return Promise.reject(FAIL.hostOnly());
    return core.signalling.request('endMeeting', {});
  }

  putOnHold(userId, hold) {
    return this[CORE].request('putOnHold', { userId, hold: Boolean(hold) });
  }

  allowAttendeeToTalk(userId, isAllow) {
    const problem = this[CORE].guard();
    return Promise.reject(problem || failure('IMPROPER_MEETING_STATE', 'non-webinar', 5005));
  }

  subscribeStatisticData(args = undefined) {
    const problem = this[CORE].guard();
    return problem ? Promise.reject(problem) : Promise.resolve('');
  }

  unSubscribeStatisticData(args = undefined) {
    const problem = this[CORE].guard();
    return problem ? Promise.reject(problem) : Promise.resolve('');
  }

  // The bundle's own checks (plain Errors), then the message goes to the sender's conference (fakes/zoom/chat.py).
  sendChat(chatMessage, userId = undefined) {
    const core = this[CORE];
    if (core.phase !== 'joined' || core.quirk('webinar', false)) return Promise.reject(new Error(CHAT_WORDS.noPrivilege));
    if (!chatMessage) return Promise.reject(new Error(CHAT_WORDS.invalidMessage));
    if (userId === -1) return Promise.reject(new Error(CHAT_WORDS.invalidUserId));
    return core.request('sendChat', { message: String(chatMessage), userId: userId === undefined ? 0 : userId });
  }

  getVirtualBackgroundStatus() {
    return { id: '', isVbOn: false, isLock: false, vbList: [] };
  }

  setViewType(viewType) {
    const problem = this[CORE].guard();
    return problem ? Promise.reject(problem) : Promise.resolve('');
  }

  isSupportVirtualBackground() {
    return false;
  }

  lockVirtualBackground(isLock) {
    return unsupported(this, 'lockVirtualBackground');
  }

  updateVirtualBackgroundList(vbImageList) {
    return unsupported(this, 'updateVirtualBackgroundList');
  }

  setVirtualBackground(vbImageId) {
    return unsupported(this, 'setVirtualBackground');
  }

  isCoHost() {
    const self = this[CORE].self();
    return Boolean(self && self.isCoHost);
  }

  isHost() {
    const self = this[CORE].self();
    return Boolean(self && self.isHost);
  }

  isOriginHost() {
    return this.isHost();
  }

  makeCoHost(userId) {
    return this[CORE].request('makeCoHost', { userId });
  }

  makeHost(userId) {
    return this[CORE].request('makeHost', { userId });
  }

  reclaimHost() {
    return unsupported(this, 'reclaimHost');
  }

  claimHostWithHostKey(hostKey) {
    return unsupported(this, 'claimHostWithHostKey');
  }

  revokeCoHost(userId) {
    return this[CORE].request('revokeCoHost', { userId });
  }

  isBotUser() {
    const self = this[CORE].self();
    return self ? Boolean(self.isBotUser) : null;
  }

  getBotAppName() {
    const self = this[CORE].self();
    return self && self.isBotUser ? APP_NAME : null;
  }

  getBotAuthorizedUserInfoByUserId(userId) {
    const core = this[CORE];
    const owner = core.snapshot && core.phase === 'joined' ? core.snapshot.botAuthorizers[userId] : undefined;
    return this.getAttendeeslist().find((p) => p.userId === owner) || null;
  }

  getAuthorizedBotListByUserId(userId) {
    const core = this[CORE];
    if (!core.snapshot || core.phase !== 'joined') return null;
    const list = this.getAttendeeslist();
    const bots = Object.entries(core.snapshot.botAuthorizers)
      .filter(([, owner]) => owner === userId)
      .map(([bot]) => list.find((p) => p.userId === Number(bot)) || null);
    return bots.length ? bots : null;
  }

  addPin(userId) {
    const core = this[CORE];
    const problem = core.guard();
    if (problem) return Promise.reject(problem);
    if (!this.getAttendeeslist().some((p) => p.userId === userId)) return Promise.reject(NOT_FOUND());
    if (!core.pins.includes(userId)) core.pins.push(userId);
    return Promise.resolve('');
  }

  removeAllPins() {
    this[CORE].pins = [];
    return Promise.resolve('');
  }

  getPinList() {
    return [...this[CORE].pins];
  }

  getLanguageTranslation(lng) {
    return Promise.resolve('');
  }

  updateLanguageTranslation(lng, userLangDict) {
    return Promise.resolve('');
  }

  updateVideoOptions(videoOptions) {}

  assignUserToRoom(userId, targetRoomId) {
    return this[CORE].request('assignUserToRoom', { userId, targetRoomId });
  }

  broadcast(content) {
    return this[CORE].request('broadcast', { content });
  }

  closeAllBreakoutRooms() {
    return this[CORE].request('closeAllBreakoutRooms', {});
  }

  getCurrentBreakoutRoom() {
    const core = this[CORE];
    if (core.moving()) return undefined;
    if (core.phase !== 'joined' || !core.snapshot) return { attendeeStatus: 'initial', name: '', roomId: '' };
    return copy(core.snapshot.breakout.current);
  }

  getBreakoutRoomList() {
    const core = this[CORE];
    return core.phase === 'joined' && core.snapshot ? copy(core.snapshot.breakout.rooms) : [];
  }

  getBreakoutRoomOptions() {
    const core = this[CORE];
    if (!core.snapshot) return {};
    return copy(core.snapshot.breakout.options);
  }

  getBreakoutRoomStatus() {
    const core = this[CORE];
    return core.phase === 'joined' && core.snapshot ? core.snapshot.breakout.status : 1;
  }

  getUserStatus() {
    const core = this[CORE];
    if (core.moving()) return undefined;
    return core.phase === 'joined' && core.snapshot ? core.snapshot.breakout.userStatus : 'initial';
  }

  joinBreakoutRoom(roomId) {
    return this[CORE].request('joinBreakoutRoom', { roomId });
  }

  leaveBreakoutRoom() {
    return this[CORE].request('leaveBreakoutRoom', {});
  }

  moveUserToBreakoutRoom(userId, targetRoomId) {
    return this[CORE].request('moveUserToBreakoutRoom', { userId, targetRoomId });
  }

  openBreakoutRooms(rooms, options = undefined) {
    return this[CORE].request('openBreakoutRooms', { rooms, options });
  }

  requestFarEndCameraControl(userId) {
    return unsupported(this, 'requestFarEndCameraControl');
  }

  approveFarEndCameraControl(userId) {
    return unsupported(this, 'approveFarEndCameraControl');
  }

  declineFarEndCameraControl(userId) {
    return unsupported(this, 'declineFarEndCameraControl');
  }

  giveUpFarEndCameraControl(userId) {
    return unsupported(this, 'giveUpFarEndCameraControl');
  }

  controlCamera(option) {
    return unsupported(this, 'controlCamera');
  }

  controlFarEndCamera(option) {
    return unsupported(this, 'controlFarEndCamera');
  }

  getFarEndCameraPTZCapability(userId) {
    return { pan: false, tilt: false, zoom: false };
  }

  getCameraPTZCapability(cameraId = undefined) {
    return { pan: false, tilt: false, zoom: false };
  }

  isBrowserSupportPTZ() {
    return false;
  }

  on(event, callback) {
    if (typeof callback !== 'function') {
      console.warn('Callback should be a function');
      return;
    }
    this[CORE].emitter.on(event, callback);
  }

  off(event, callback) {
    if (typeof callback !== 'function') {
      console.warn('Callback should be a function');
      return;
    }
    this[CORE].emitter.off(event, callback);
  }

  checkSystemRequirements() {
    const devices = Boolean(navigator.mediaDevices);
    return {
      audio: devices && typeof AudioContext === 'function' && typeof RTCPeerConnection === 'function',
      video: devices && typeof RTCPeerConnection === 'function',
      screen: devices && typeof navigator.mediaDevices.getDisplayMedia === 'function',
    };
  }
}

function unsupported(client, name) {
  const problem = client[CORE].guard();
  return Promise.reject(problem || FAIL.unsupported(name));
}

let singleton = null;

const ZoomMtgEmbedded = {
  VERSION,
  createClient() {
    if (!singleton) singleton = new EmbeddedClient();
    return singleton;
  },
  destroyClient() {
    if (singleton) singleton[CORE].destroy();
    singleton = null;
  },
};

// The real UMD bundle assigns its export to globalThis.ReactWidgets; pages of this project use
// ZoomMtgEmbedded. Both names point at the same object.
window.ZoomMtgEmbedded = ZoomMtgEmbedded;
window.ReactWidgets = ZoomMtgEmbedded;
