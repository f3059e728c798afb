// mesh.js: one RTCPeerConnection per other browser in the same room (main session or one breakout room).
//
// The participant with the lower userId makes the offer. Each connection carries one audio and one video
// transceiver, both sendrecv from the start, so publishing or stopping media later is a replaceTrack(),
// never a renegotiation. No STUN/TURN: loopback host candidates only.

class PeerMesh {
  constructor({ send, onRemoteTrack, onPeerGone }) {
    this.send = send;
    this.onRemoteTrack = onRemoteTrack;
    this.onPeerGone = onPeerGone;
    this.selfId = null;
    this.roomKey = null;
    this.wanted = new Map(); // userId -> userName, the peers the service says are in our room
    this.peers = new Map(); // userId -> {pc, pcId, offerer, tx: {audio, video}, queue, pending}
    this.local = { audio: null, video: null };
  }

  update(selfId, roomKey, peerList) {
    this.selfId = selfId;
    if (roomKey !== this.roomKey) {
      this.closeAll();
      this.roomKey = roomKey;
    }
    this.wanted = new Map((roomKey === null ? [] : peerList).map((p) => [p.userId, p.userName]));
    for (const userId of [...this.peers.keys()]) {
      if (!this.wanted.has(userId)) this.closePeer(userId);
    }
    for (const userId of this.wanted.keys()) {
      if (!this.peers.has(userId) && this.selfId < userId) this.offer(userId);
    }
  }

  newPeer(userId, pcId, offerer) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const peer = { pc, pcId, offerer, tx: { audio: null, video: null }, queue: Promise.resolve(), pending: [] };
    pc.onicecandidate = (event) => {
      if (event.candidate) this.send(userId, { pcId, candidate: event.candidate.toJSON() });
    };
    pc.ontrack = (event) => {
      if (this.peers.get(userId) === peer) this.onRemoteTrack(userId, event.track);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' && this.peers.get(userId) === peer && peer.offerer) {
        // Start over with a new connection after a short pause.
        setTimeout(() => {
          if (this.peers.get(userId) === peer && this.wanted.has(userId)) {
            this.closePeer(userId);
            this.offer(userId);
          }
        }, 1000);
      }
    };
    this.peers.set(userId, peer);
    return peer;
  }

  enqueue(peer, task) {
    peer.queue = peer.queue.then(task).catch((error) => console.warn('[fake zoom] WebRTC step failed', error));
    return peer.queue;
  }

  offer(userId) {
    const pcId = `${this.selfId}-${userId}-${Math.random().toString(36).slice(2, 10)}`;
    const peer = this.newPeer(userId, pcId, true);
    peer.tx.audio = peer.pc.addTransceiver('audio', { direction: 'sendrecv' });
    peer.tx.video = peer.pc.addTransceiver('video', { direction: 'sendrecv' });
    this.enqueue(peer, async () => {
      await this.attachLocal(peer);
      const offer = await peer.pc.createOffer();
      await peer.pc.setLocalDescription(offer);
      this.send(userId, { pcId, description: { type: offer.type, sdp: offer.sdp } });
    });
  }

  handleSignal(from, data) {
    if (!data || this.roomKey === null) return;
    const description = data.description;
    if (description && description.type === 'offer') {
      if (!this.wanted.has(from)) return;
      const existing = this.peers.get(from);
      if (existing && existing.pcId === data.pcId) return;
      if (existing) this.closePeer(from);
      const peer = this.newPeer(from, data.pcId, false);
      this.enqueue(peer, async () => {
        await peer.pc.setRemoteDescription(description);
        for (const transceiver of peer.pc.getTransceivers()) {
          const kind = transceiver.receiver.track.kind;
          transceiver.direction = 'sendrecv';
          peer.tx[kind] = transceiver;
        }
        await this.attachLocal(peer);
        const answer = await peer.pc.createAnswer();
        await peer.pc.setLocalDescription(answer);
        this.send(from, { pcId: data.pcId, description: { type: answer.type, sdp: answer.sdp } });
        await this.flushCandidates(peer);
      });
      return;
    }
    const peer = this.peers.get(from);
    if (!peer || peer.pcId !== data.pcId) return;
    if (description && description.type === 'answer') {
      this.enqueue(peer, async () => {
        await peer.pc.setRemoteDescription(description);
        await this.flushCandidates(peer);
      });
    } else if (data.candidate) {
      this.enqueue(peer, async () => {
        if (peer.pc.remoteDescription) await peer.pc.addIceCandidate(data.candidate);
        else peer.pending.push(data.candidate);
      });
    }
  }

  async flushCandidates(peer) {
    const pending = peer.pending;
    peer.pending = [];
    for (const candidate of pending) await peer.pc.addIceCandidate(candidate);
  }

  async attachLocal(peer) {
    for (const kind of ['audio', 'video']) {
      const transceiver = peer.tx[kind];
      if (transceiver && transceiver.sender.track !== this.local[kind]) {
        await transceiver.sender.replaceTrack(this.local[kind]);
      }
    }
  }

  setLocalTrack(kind, track) {
    this.local[kind] = track;
    for (const peer of this.peers.values()) {
      this.enqueue(peer, () => this.attachLocal(peer));
    }
  }

  closePeer(userId) {
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    try {
      peer.pc.close();
    } catch (e) {
      // already closed
    }
    this.onPeerGone(userId);
  }

  closeAll() {
    for (const userId of [...this.peers.keys()]) this.closePeer(userId);
  }

  connections() {
    return [...this.peers.entries()].map(([userId, peer]) => ({ userId, pc: peer.pc, pcId: peer.pcId }));
  }
}
