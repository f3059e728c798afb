// The start-session form: meeting (existing or to be created), professor, course and rooms with students.
// It posts JSON to /api/sessions and shows the API's validation messages beside the fields they name
// (`meeting.number`, `rooms[1].student.name`, …); on success it opens the session's live monitor. The
// professor picks the avatar and voice from the LiveAvatar account's lists (names and preview images, served
// by this server); when LiveAvatar cannot be reached the ids can still be typed.

import { api } from "./api.js";
import { el, setText } from "./dom.js";

const form = document.getElementById("start-session");
const rows = document.getElementById("room-rows");
const template = document.getElementById("room-row-template");
const problems = document.getElementById("form-problems");
const submitStatus = document.getElementById("submit-status");
const startButton = document.getElementById("start-button");
let rowSerial = 0;

function value(name) {
  return form.querySelector(`[name="${name}"]`).value.trim();
}

function optional(target, key, text) {
  if (text) target[key] = text;
}

// ---- rooms --------------------------------------------------------------------------------------------------

function renumber() {
  const all = [...rows.children];
  all.forEach((row, index) => {
    row.dataset.field = `rooms[${index}]`;
    setText(row.querySelector(".room-legend"), `Room ${index + 1}`);
    for (const field of row.querySelectorAll("[data-field]")) {
      field.dataset.field = field.dataset.field.replace(/^rooms\[\d*\]/, `rooms[${index}]`);
    }
    const remove = row.querySelector(".remove-room");
    remove.disabled = all.length === 1;
    remove.setAttribute("aria-label", `Remove room ${index + 1}`);
  });
}

function addRoom({ name = "", student = "" } = {}, focus = false) {
  rowSerial += 1;
  const row = template.content.firstElementChild.cloneNode(true);
  const prefix = `room-${rowSerial}`;
  for (const node of row.querySelectorAll("[data-id]")) node.id = `${prefix}-${node.dataset.id}`;
  for (const label of row.querySelectorAll("label[data-for]")) label.htmlFor = `${prefix}-${label.dataset.for}`;
  for (const input of row.querySelectorAll("input[data-name]")) {
    const hint = row.querySelector(`[data-id="${input.dataset.id}-hint"]`) ? `${prefix}-${input.dataset.id}-hint ` : "";
    input.setAttribute("aria-describedby", `${hint}${prefix}-${input.dataset.id}-error`);
  }
  row.querySelector('[data-name="name"]').value = name;
  row.querySelector('[data-name="student"]').value = student;
  row.querySelector(".remove-room").addEventListener("click", () => {
    const next = row.nextElementSibling ?? row.previousElementSibling;
    row.remove();
    renumber();
    (next?.querySelector("input") ?? document.getElementById("add-room")).focus();
  });
  rows.append(row);
  renumber();
  if (focus) row.querySelector("input").focus();
}

document.getElementById("add-room").addEventListener("click", () => addRoom({}, true));

// ---- meeting kind -------------------------------------------------------------------------------------------

function meetingKind() {
  return form.querySelector('input[name="meeting_kind"]:checked').value;
}

function showMeetingKind() {
  const create = meetingKind() === "create";
  form.querySelector(".existing-meeting").hidden = create;
  form.querySelector(".create-meeting").hidden = !create;
}

for (const radio of form.querySelectorAll('input[name="meeting_kind"]')) radio.addEventListener("change", showMeetingKind);

// ---- avatar and voice pickers --------------------------------------------------------------------------------

const avatarInput = form.querySelector('[name="professor.avatar_id"]');
const voiceInput = form.querySelector('[name="professor.voice_id"]');
const avatarChoices = document.getElementById("avatar-choices");
const voiceChoice = document.getElementById("voice-choice");
const catalogStatus = document.getElementById("catalog-status");
const ownVoice = voiceChoice.options[0];
let avatarsById = new Map();

function showOwnVoice() {
  const avatar = avatarsById.get(avatarInput.value.trim().toLowerCase());
  const name = avatar?.default_voice?.name;
  setText(ownVoice, name ? `The avatar's own voice (${name})` : "The avatar's own voice");
}

function syncAvatarChoice() {
  const wanted = avatarInput.value.trim().toLowerCase();
  for (const radio of avatarChoices.querySelectorAll("input")) radio.checked = radio.value.toLowerCase() === wanted;
  showOwnVoice();
}

function syncVoiceChoice() {
  const wanted = voiceInput.value.trim().toLowerCase();
  const option = [...voiceChoice.options].find((o) => o.value.toLowerCase() === wanted);
  voiceChoice.value = option ? option.value : "";
}

function avatarCard(avatar) {
  const radio = el("input", { type: "radio", name: "avatar_choice", value: avatar.id, disabled: !avatar.ready });
  radio.addEventListener("change", () => {
    avatarInput.value = avatar.id;
    showOwnVoice();
  });
  const picture = avatar.preview_url
    ? el("img", { src: avatar.preview_url, alt: "", width: 128, height: 96, loading: "lazy" })
    : null;
  const note = avatar.ready ? null : el("span", { class: "hint", text: "not ready yet" });
  return el("label", { class: "avatar-choice" }, radio, picture, el("span", { text: avatar.name }), note);
}

async function loadChoices() {
  try {
    const [avatars, voices] = await Promise.all([api("/api/liveavatar/avatars"), api("/api/liveavatar/voices")]);
    avatarsById = new Map(avatars.avatars.map((a) => [a.id.toLowerCase(), a]));
    avatarChoices.replaceChildren(...avatars.avatars.map(avatarCard));
    for (const voice of voices.voices) {
      const language = voice.language ? ` · ${voice.language}` : "";
      voiceChoice.append(el("option", { value: voice.id, text: `${voice.name}${language}` }));
    }
    document.getElementById("avatar-picker").hidden = avatars.avatars.length === 0;
    document.getElementById("voice-picker").hidden = false;
    setText(catalogStatus, avatars.avatars.length ? "" : "Your LiveAvatar account has no avatars yet.");
    syncAvatarChoice();
    syncVoiceChoice();
  } catch (problem) {
    setText(catalogStatus, problem.message);
  }
}

avatarInput.addEventListener("input", syncAvatarChoice);
voiceInput.addEventListener("input", syncVoiceChoice);
voiceChoice.addEventListener("change", () => {
  voiceInput.value = voiceChoice.value;
});

// ---- body ---------------------------------------------------------------------------------------------------

function body() {
  const meeting = {};
  if (meetingKind() === "create") {
    meeting.create = true;
    optional(meeting, "topic", value("meeting.topic"));
  } else {
    optional(meeting, "number", value("meeting.number"));
    optional(meeting, "passcode", value("meeting.passcode"));
  }
  const professor = { name: value("professor.name"), avatar_id: value("professor.avatar_id") };
  optional(professor, "voice_id", value("professor.voice_id"));
  optional(professor, "teaching_style", value("professor.teaching_style"));
  const course = { name: value("course.name"), context: value("course.context") };
  const rooms = [...rows.children].map((row) => {
    const student = { name: row.querySelector('[data-name="student"]').value.trim() };
    optional(student, "background", row.querySelector('[data-name="background"]').value.trim());
    return { name: row.querySelector('[data-name="name"]').value.trim(), student };
  });
  return { meeting, professor, course, rooms };
}

// ---- errors beside fields -----------------------------------------------------------------------------------

function clearErrors() {
  problems.hidden = true;
  problems.replaceChildren();
  for (const node of form.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of form.querySelectorAll(".has-error")) node.classList.remove("has-error");
}

/** The element a field path belongs to: itself, else its closest named parent (rooms[1].student → rooms[1]). */
function holderOf(field) {
  let path = field;
  while (path) {
    const holder = form.querySelector(`[data-field="${CSS.escape(path)}"]`);
    if (holder && !holder.closest("[hidden]")) return holder;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    path = cut > 0 ? path.slice(0, cut) : "";
  }
  return null;
}

function errorNodeOf(holder) {
  if (holder.matches(".field")) return holder.querySelector(".field-error");
  if (holder.matches(".room-row")) return holder.querySelector(".row-error");
  return holder.querySelector(":scope > .field-error");
}

function showErrors(detail, message) {
  let first = null;
  const unplaced = [];
  for (const item of detail.length ? detail : [{ field: null, message }]) {
    const holder = item.field ? holderOf(item.field) : null;
    const target = holder ? errorNodeOf(holder) : null;
    if (!target) {
      unplaced.push(item.field ? `${item.field}: ${item.message}` : item.message);
      continue;
    }
    target.textContent = target.textContent ? `${target.textContent} ${item.message}` : item.message;
    target.hidden = false;
    holder.classList.add("has-error");
    const input = holder.matches(".field") ? holder.querySelector("input, textarea") : null;
    if (input) input.setAttribute("aria-invalid", "true");
    first = first ?? input ?? holder.querySelector("input, textarea, button");
  }
  const count = detail.length || 1;
  const summary = document.createElement("p");
  summary.textContent = `The session was not started: ${count === 1 ? "1 problem" : `${count} problems`} to fix.`;
  problems.replaceChildren(summary);
  for (const text of unplaced) {
    const line = document.createElement("p");
    line.textContent = text;
    problems.append(line);
  }
  problems.hidden = false;
  (first ?? problems).focus();
}

// ---- submit -------------------------------------------------------------------------------------------------

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  startButton.disabled = true;
  setText(submitStatus, "Starting the session…");
  try {
    const session = await api("/api/sessions", {
      method: "POST",
      body: body(),
      headers: { "Idempotency-Key": form.dataset.idempotencyKey },
    });
    setText(submitStatus, "Session started. Opening its monitor…");
    location.assign(`/dashboard/sessions/${encodeURIComponent(session.id)}`);
  } catch (problem) {
    setText(submitStatus, "");
    showErrors(problem.detail ?? [], problem.message);
    startButton.disabled = false;
  }
});

addRoom();
showMeetingKind();
loadChoices();
