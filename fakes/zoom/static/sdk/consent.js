// consent.js: Component View's recording consent dialog, drawn as the served bundle draws it: a popper with
// role "dialog" (portalled to <body>; the bundle's "aria-label" prop never reaches it), the heading "This meeting
// is being recorded", its notice, and the buttons "Got it" and "Leave Meeting". It shows while the meeting is
// being recorded until the participant presses "Got it" (late joiners included); until then the client keeps
// them muted with video off.

class RecordingConsent {
  constructor({ onConsent, onLeave }) {
    this.onConsent = onConsent;
    this.onLeave = onLeave;
    this.container = null;
    this.dialog = null;
  }

  mount(container) {
    this.container = container;
    this.render(false);
  }

  render(show) {
    if (!show) {
      if (this.dialog) this.dialog.remove();
      this.dialog = null;
      return;
    }
    if (this.dialog || !this.container) return;
    const dialog = document.createElement('div');
    dialog.className = 'fz-recording-consent';
    dialog.setAttribute('role', 'dialog');
    const title = document.createElement('h1');
    title.textContent = STRINGS.wc_record_reminder_title;
    const body = document.createElement('div');
    body.id = 'content-body';
    body.textContent = STRINGS.wc_record_reminder_desc;
    const confirm = RecordingConsent.button(STRINGS.wc_join_media_preview_info_confirm, () => this.onConsent());
    const leave = RecordingConsent.button(STRINGS['dialog.btn_leaveconf_meeting'], () => this.onLeave());
    dialog.append(title, body, confirm, leave);
    document.body.append(dialog);
    this.dialog = dialog;
  }

  static button(label, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.addEventListener('click', onClick);
    return button;
  }
}
