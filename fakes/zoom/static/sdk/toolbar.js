// toolbar.js: the meeting UI rendered into zoomAppRoot, drawn as @zoom/meetingsdk 6.2.0's Component View draws
// it, state by state (tests/fakes_zoom/test_toolbar_contract.py resolves each title from the served bundle):
//
//   in a meeting: Audio · Video · Participants · Share Screen · More (Chat, Settings, Report) · Leave. The audio
//   button's title is "Audio" until computer audio is joined, then "Unmute" (muted) or "Mute"; the video
//   button's "Start Video" or "Stop Video". Both are icon buttons carrying only a title; Leave too.
//   as a webinar attendee (who may not talk): Join Audio until audio is joined, then Audio Setting · Raise Hand.
//
// Audio and video never sit inside "More" in 6.2.0. Settings (in "More") opens a panel whose tabs read "Video",
// "Audio", "Statistics": a second thing named "Audio" that is not the audio button.

class Toolbar {
  constructor(actions) {
    this.actions = actions;
    this.container = null;
    this.status = null;
    this.bar = null;
    this.items = {};
    this.settings = null;
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
    this.bar.style.cssText = 'display:none;gap:6px;padding:6px 0';
    // Icon buttons: a title, and an aria-label where the bundle passes one ("icon" and "dropdown" items).
    this.items.Audio = this.button('fz-audio-button', () => this.actions.audio());
    this.items.JoinAudio = this.button('fz-join-audio-button', () => this.actions.audio(), 'toolbar_join_audio', true);
    this.items.AudioSettings = this.button('fz-audio-settings-button', () => this.openSettings(), 'wc_audio_setting', true);
    this.items.Video = this.button('fz-video-button', () => this.actions.video());
    this.items.Participant = this.button('fz-participants-button', () => {}, 'wc_participants', true);
    this.items.Share = this.button('fz-share-button', () => {}, 'wc_sharer_entry_button_label1', true);
    this.items.RaiseHand = this.button('fz-raise-hand-button', () => {}, 'wc_raise_hand', true);
    this.more = this.button('fz-more-button', () => this.toggleMore(), 'wc_more', true);
    this.more.setAttribute('aria-haspopup', 'menu');
    this.more.setAttribute('aria-expanded', 'false');
    this.menu = document.createElement('div');
    this.menu.className = 'fz-more-menu';
    this.menu.setAttribute('role', 'menu');
    this.menu.hidden = true;
    for (const [key, onClick] of [
      ['wc_chat.chat', () => {}],
      ['wc_qa.setting_btn_name', () => this.openSettings()],
      ['security.report', () => {}],
    ]) {
      const entry = document.createElement('li');
      entry.setAttribute('role', 'menuitem');
      entry.tabIndex = -1;
      entry.textContent = STRINGS[key];
      entry.addEventListener('click', () => {
        this.toggleMore(false);
        onClick();
      });
      this.menu.append(entry);
    }
    this.bar.append(this.menu);
    this.leave = this.button('fz-leave-button', () => this.actions.leave(), 'toolbar_leave');
    root.append(this.container);
    this.container.append(this.status);
    return this.container;
  }

  finishMount() {
    this.container.append(this.bar);
  }

  button(className, onClick, titleKey = null, ariaLabel = false) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = className;
    if (titleKey) Toolbar.title(button, STRINGS[titleKey], ariaLabel);
    button.addEventListener('click', () => {
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

  static title(button, text, ariaLabel = false) {
    if (button.title !== text) button.title = text;
    if (ariaLabel) button.setAttribute('aria-label', text);
  }

  toggleMore(open = this.menu.hidden) {
    this.menu.hidden = !open;
    this.more.setAttribute('aria-expanded', String(open));
  }

  openSettings() {
    if (this.settings) return;
    this.settings = document.createElement('div');
    this.settings.className = 'fz-settings';
    this.settings.setAttribute('role', 'dialog');
    this.settings.setAttribute('aria-label', STRINGS['wc_qa.setting_btn_name']);
    const tabs = document.createElement('div');
    tabs.setAttribute('role', 'tablist');
    tabs.setAttribute('aria-label', 'setting tab');
    for (const key of ['wc_video.video', 'wc_audio', 'settings.statistics']) {
      const tab = document.createElement('button');
      tab.type = 'button';
      tab.setAttribute('role', 'tab');
      tab.textContent = STRINGS[key];
      tab.addEventListener('click', () => {
        for (const other of tabs.children) other.setAttribute('aria-selected', String(other === tab));
      });
      tabs.append(tab);
    }
    this.settings.append(tabs);
    this.container.append(this.settings);
  }

  /** Which items the bundle's toolbar effect draws, in order, for this state. */
  static drawn({ webinarAttendee, audioJoined }) {
    if (webinarAttendee) return [audioJoined ? 'AudioSettings' : 'JoinAudio', 'RaiseHand'];
    return ['Audio', 'Video', 'Participant', 'Share'];
  }

  render({ joined, onHold, webinarAttendee = false, audioJoined, muted, videoOn, statusText }) {
    if (!this.container) return;
    this.status.textContent = statusText || '';
    this.bar.style.display = joined ? 'flex' : 'none';
    const media = joined && !onHold;
    const drawn = media ? Toolbar.drawn({ webinarAttendee, audioJoined }) : [];
    for (const [name, button] of Object.entries(this.items)) {
      button.dataset.fzItem = name; // the bundle's item name, for tests
      button.style.display = drawn.includes(name) ? '' : 'none';
    }
    // Keep the drawn order: Audio · Video · … · More · Leave.
    for (const name of drawn) this.bar.insertBefore(this.items[name], this.more);
    this.more.style.display = media ? '' : 'none';
    this.leave.style.display = joined ? '' : 'none';
    Toolbar.title(this.items.Audio, STRINGS[audioTitleKey({ audioJoined, muted })]);
    Toolbar.title(this.items.Video, STRINGS[videoTitleKey({ videoOn })]);
    if (!media) {
      this.toggleMore(false);
      if (this.settings) this.settings.remove();
      this.settings = null;
    }
  }

  unmount() {
    if (this.container) this.container.remove();
    this.container = null;
  }
}
