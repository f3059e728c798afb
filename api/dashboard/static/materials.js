// The course-materials page: files dropped on the drop zone (or chosen) are uploaded one by one to
// POST /api/materials for the chosen course; the course's files are listed with their pages or slides and
// passages, each with a Delete button. Refusals are shown in the server's words.

import { api, ApiProblem } from "./api.js";
import { el } from "./dom.js";

const form = document.getElementById("course-form");
const courseInput = document.getElementById("course");
const zone = document.getElementById("drop-zone");
const picker = document.getElementById("file-input");
const statusList = document.getElementById("upload-status");
const table = document.getElementById("material-list");
const empty = document.getElementById("no-materials");

function course() {
  return courseInput.value.trim().split(/\s+/).join(" ");
}

function say(text, kind) {
  statusList.append(el("li", { class: kind, text }));
}

function units(material) {
  const word = { pdf: "page", pptx: "slide" }[material.kind] ?? "section";
  return `${material.units} ${word}${material.units === 1 ? "" : "s"}`;
}

async function refresh() {
  const name = course();
  const body = table.tBodies[0];
  body.replaceChildren();
  if (!name) {
    table.hidden = true;
    empty.hidden = true;
    return;
  }
  let materials;
  try {
    ({ materials } = await api(`/api/materials?course=${encodeURIComponent(name)}`));
  } catch (problem) {
    say(problem instanceof ApiProblem ? problem.message : String(problem), "error");
    table.hidden = true;
    empty.hidden = true;
    return;
  }
  document.getElementById("material-course").textContent = name;
  for (const material of materials) {
    const remove = el("button", { type: "button", text: "Delete", "aria-label": `Delete ${material.filename}` });
    remove.addEventListener("click", () => removeMaterial(material));
    body.append(
      el(
        "tr",
        { "data-material-id": material.id },
        el("th", { scope: "row", text: material.filename }),
        el("td", { text: units(material) }),
        el("td", { text: String(material.passages) }),
        el("td", {}, el("time", { datetime: material.created_at, text: new Date(material.created_at).toLocaleString() })),
        el("td", {}, remove),
      ),
    );
  }
  table.hidden = materials.length === 0;
  empty.hidden = materials.length > 0;
}

async function removeMaterial(material) {
  try {
    await api(`/api/materials/${encodeURIComponent(material.id)}`, { method: "DELETE" });
    say(`${material.filename} was deleted.`, "ok");
  } catch (problem) {
    say(problem instanceof ApiProblem ? problem.message : String(problem), "error");
  }
  await refresh();
}

async function upload(files) {
  const name = course();
  if (!name) {
    say("Name the course first: the course name your sessions use.", "error");
    courseInput.focus();
    return;
  }
  for (const file of files) {
    const body = new FormData();
    body.append("course", name);
    body.append("file", file, file.name);
    say(`Uploading ${file.name}…`, "pending");
    const line = statusList.lastElementChild;
    try {
      const material = await api("/api/materials", { method: "POST", body });
      line.className = "ok";
      line.textContent = `${material.filename}: ${units(material)}, ${material.passages} passages.`;
    } catch (problem) {
      line.className = "error";
      line.textContent = problem instanceof ApiProblem ? problem.message : String(problem);
    }
  }
  await refresh();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const url = new URL(location.href);
  url.searchParams.set("course", course());
  history.replaceState(null, "", url);
  refresh();
});
for (const kind of ["dragenter", "dragover"]) {
  zone.addEventListener(kind, (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
}
zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
zone.addEventListener("drop", (event) => {
  event.preventDefault();
  zone.classList.remove("dragging");
  upload([...(event.dataTransfer?.files ?? [])]);
});
zone.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    picker.click();
  }
});
picker.addEventListener("change", () => {
  upload([...picker.files]);
  picker.value = "";
});
refresh();
