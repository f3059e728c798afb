// toolbar.js: the meeting UI rendered into zoomAppRoot: status line, and the toolbar whose buttons carry the
// real SDK's labels ("Join Audio", "Mute"/"Unmute", "Start Video"/"Stop Video", "Leave").

class Toolbar {
  constructor(actions) {
    this.actions = actions;
    this.container = null;
    this.status = null;
    this.bar = null;
    this.buttons = {};
  }

  mount(root) {
    this.container = document.createElement('div');
    this.container.className = 'fz-app';
    this.container.dataset.fakezoom = 'root';
    this.container.style.cssText = 'font:14px sans-serif;color:#eee;background:#222;padding:4px';
    this.status = document.createElement('div');
    this.status.className = 'fz-status';
    this.status.setAttribute('role', 'status');
    this.bar = document.createElement('div');
    this.bar.className = 'fz-toolbar';
    this.bar.setAttribute('role', 'toolbar');
    this.bar.style.cssText = 'display:none;gap:6px;padding:6px 0';
    this.buttons.audio = this.button('fz-audio-button', () => this.actions.audio());
    this.buttons.video = this.button('fz-video-button', () => this.actions.video());
    // "More" holds the buttons that do not fit (only the video button here, when the meeting says so).
    this.buttons.more = this.button('fz-more-button', () => this.toggleMore());
    Toolbar.label(this.buttons.more, LABELS.more);
    this.buttons.more.setAttribute('aria-haspopup', 'menu');
    this.buttons.more.setAttribute('aria-expanded', 'false');
    this.menu = document.createElement('div');
    this.menu.className = 'fz-more-menu';
    this.menu.setAttribute('role', 'menu');
    this.menu.hidden = true;
    this.bar.append(this.menu);
    this.buttons.leave = this.button('fz-leave-button', () => this.actions.leave());
    this.buttons.leave.textContent = LABELS.leave;
    this.buttons.leave.setAttribute('aria-label', LABELS.leave);
    root.append(this.container);
    this.container.append(this.status);
    return this.container;
  }

  finishMount() {
    this.container.append(this.bar);
  }

  button(className, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = className;
    button.addEventListener('click', () => {
      if (this.menu && button.parentElement === this.menu) this.toggleMore(false);
      button.disabled = true;
      Promise.resolve(onClick())
        .catch((error) => console.warn('[fake zoom] toolbar action failed', error))
        .finally(() => {
          button.disabled = false;
        });
    });
    this.bar.append(button);
    return button;
  }

  toggleMore(open = this.menu.hidden) {
    this.menu.hidden = !open;
    this.buttons.more.setAttribute('aria-expanded', String(open));
  }

  static label(button, text) {
    if (button.textContent !== text) {
      button.textContent = text;
      button.setAttribute('aria-label', text);
      button.title = text;
    }
  }

  render({ joined, onHold, audioJoined, muted, videoOn, videoInMore = false, statusText }) {
    if (!this.container) return;
    const videoHome = videoInMore ? this.menu : this.bar;
    if (this.buttons.video.parentElement !== videoHome) {
      videoHome.insertBefore(this.buttons.video, videoInMore ? null : this.buttons.more);
    }
    this.buttons.more.style.display = videoInMore && joined ? '' : 'none';
    this.status.textContent = statusText || '';
    this.bar.style.display = joined ? 'flex' : 'none';
    const media = joined && !onHold;
    this.buttons.audio.style.display = media ? '' : 'none';
    this.buttons.video.style.display = media ? '' : 'none';
    Toolbar.label(this.buttons.audio, !audioJoined ? LABELS.joinAudio : muted ? LABELS.unmute : LABELS.mute);
    Toolbar.label(this.buttons.video, videoOn ? LABELS.stopVideo : LABELS.startVideo);
  }

  unmount() {
    if (this.container) this.container.remove();
    this.container = null;
  }
}
