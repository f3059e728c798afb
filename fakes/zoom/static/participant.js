// participant.js: the service's own participant page (/join/{meeting}): a student with the browser's camera
// and microphone, using the SDK stand-in exactly as an app would. ?room=NAME makes it go to that breakout
// room (accepting the host's invitation, or choosing it when self-select is on). Its chat box writes to
// everyone in the student's room (sendChat) and lists what the student receives (chat-on-message).

(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('fz-config').textContent);
  const stateLabel = document.getElementById('state');
  document.getElementById('who').textContent = config.userName;
  const client = ZoomMtgEmbedded.createClient();
  const root = document.getElementById('meeting');
  window.fakeZoomParticipant = { client, config, events: [] };

  function setState(state, detail) {
    document.body.dataset.state = state;
    stateLabel.textContent = detail ? `${state}: ${detail}` : state;
  }

  // Component View's toolbar buttons are icons named by their title.
  function button(title) {
    return [...root.querySelectorAll('button')].find((b) => b.title === title && b.offsetParent !== null);
  }

  async function pressMedia() {
    while (client.getCurrentUser() && client.getCurrentUser().isHold) await new Promise((r) => setTimeout(r, 300));
    if (!client.getCurrentUser()) return;
    const audio = button('Audio') || button('Join Audio');
    if (config.audio && audio) audio.click();
    await new Promise((r) => setTimeout(r, 200));
    if (config.video && button('Start Video')) button('Start Video').click();
  }

  async function followRoom() {
    if (!config.room) return;
    while (client.getCurrentUser() !== null || document.body.dataset.state === 'joining') {
      await new Promise((r) => setTimeout(r, 1000));
      const user = client.getCurrentUser();
      if (!user || user.isHold || client.getBreakoutRoomStatus() !== 2) continue;
      const current = client.getCurrentBreakoutRoom();
      if (client.getUserStatus() === 'in room' && current.name === config.room) continue;
      const room = client.getBreakoutRoomList().find((r) => r.name === config.room);
      if (!room) continue;
      try {
        await client.joinBreakoutRoom(room.roomId);
        delete document.body.dataset.roomError;
      } catch (error) {
        document.body.dataset.roomError = error && error.reason ? error.reason : String(error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  const chatList = document.getElementById('chat-messages');
  const chatText = document.getElementById('chat-text');
  client.on('chat-on-message', (payload) => {
    window.fakeZoomParticipant.events.push({ name: 'chat-on-message', payload });
    const item = document.createElement('li');
    item.textContent = `${payload.sender.name} to ${payload.receiver.name}: ${payload.message}`;
    chatList.append(item);
  });
  document.getElementById('chat').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = chatText.value;
    try {
      await client.sendChat(text);
      chatText.value = '';
      delete document.body.dataset.chatError;
    } catch (error) {
      document.body.dataset.chatError = error && (error.reason || error.message) ? error.reason || error.message : String(error);
    }
  });

  for (const name of ['user-added', 'user-updated', 'user-removed', 'room-state-change', 'active-speaker']) {
    client.on(name, (payload) => window.fakeZoomParticipant.events.push({ name, payload }));
  }
  client.on('connection-change', (payload) => {
    window.fakeZoomParticipant.events.push({ name: 'connection-change', payload });
    if (payload.state === 'Closed') setState('closed', payload.reason);
    else if (payload.state === 'Fail') setState('failed', `${payload.errorCode} ${payload.reason}`);
    else if (payload.state === 'Reconnecting') setState('reconnecting', payload.reason);
    else if (payload.state === 'Connected') {
      const user = client.getCurrentUser();
      setState(user && user.isHold ? 'waiting_room' : 'joined');
      pressMedia();
    }
  });

  async function main() {
    await client.init({ zoomAppRoot: root, language: 'en-US', leaveOnPageUnload: true });
    setState('joining');
    try {
      await client.join({
        signature: config.signature,
        meetingNumber: config.meetingNumber,
        userName: config.userName,
        userEmail: config.userEmail,
        password: config.password,
      });
    } catch (error) {
      document.body.dataset.error = JSON.stringify({ type: error.type, errorCode: error.errorCode, reason: error.reason });
      return;
    }
    followRoom();
  }

  main();
})();
