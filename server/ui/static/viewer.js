// The viewer's only script (the Content-Security-Policy allows no other, and nothing
// inline). It never turns journal text into markup: the server renders and escapes every
// page; this script only moves the server's elements around, sets text, and draws lines.
"use strict";

// --- times: the browser's own zone, relative while recent, as git shows them ---------

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const ABSOLUTE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const STEPS = [
  [60, "second"], [60, "minute"], [24, "hour"], [7, "day"], [4.35, "week"], [12, "month"],
];

function relative(date, now) {
  let amount = (date.getTime() - now) / 1000;
  for (const [size, unit] of STEPS) {
    if (Math.abs(amount) < size) {
      return RELATIVE.format(Math.round(amount), unit);
    }
    amount /= size;
  }
  return RELATIVE.format(Math.round(amount), "year");
}

function showTimes(root) {
  const now = Date.now();
  for (const element of root.querySelectorAll("time[datetime]")) {
    const date = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(date.getTime())) {
      continue; // a foreign writer's time: left as written
    }
    const old = now - date.getTime() > 90 * 24 * 3600 * 1000;
    element.textContent = old ? ABSOLUTE.format(date) : relative(date, now);
    element.title = ABSOLUTE.format(date);
  }
}

// --- links between events: corrections, supersessions, answers, overturned rejections

const SVG = "http://www.w3.org/2000/svg";

function drawLinks() {
  for (const timeline of document.querySelectorAll(".timeline")) {
    const svg = timeline.querySelector("svg.links");
    if (!svg) {
      continue;
    }
    svg.replaceChildren();
    const box = timeline.getBoundingClientRect();
    svg.setAttribute("width", String(box.width));
    svg.setAttribute("height", String(box.height));
    let lane = 0;
    for (const data of timeline.querySelectorAll(".link-data")) {
      const source = data.closest(".event");
      const target = document.getElementById(data.dataset.target || "");
      if (!source || !target || !timeline.contains(target)) {
        continue; // the target is on another page of the timeline
      }
      const from = source.getBoundingClientRect();
      const to = target.getBoundingClientRect();
      // The dots on the rail sit 25 px from the left, 23 px below an event's top.
      const y1 = from.top - box.top + 23;
      const y2 = to.top - box.top + 23;
      const reach = 10 + 5 * (lane++ % 4);
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", `M 25 ${y1} C ${25 - reach} ${y1}, ${25 - reach} ${y2}, 25 ${y2}`);
      path.setAttribute("class", `link link-${data.dataset.kind || ""}`);
      svg.appendChild(path);
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", "25");
      dot.setAttribute("cy", String(y2));
      dot.setAttribute("r", "3");
      dot.setAttribute("class", `link-end link-${data.dataset.kind || ""}`);
      svg.appendChild(dot);
    }
  }
}

// --- live: the page's content follows the journal --------------------------------------

function keys(root) {
  return new Set(Array.from(root.querySelectorAll("[data-key]"), (element) => element.dataset.key));
}

// A page that names its parts (a task page: its timeline, then its overview) fetches
// each again by itself, in that order, so what is new shows before what takes longer.
function partUrl(part) {
  const url = new URL(window.location.href);
  url.hash = "";
  if (part) {
    url.searchParams.set("part", part);
  }
  return url.href;
}

async function fetched(url) {
  const response = await fetch(url, { headers: { Accept: "text/html" } });
  if (!response.ok) {
    return null;
  }
  // DOMParser builds an inert document: nothing in it runs or loads.
  return new DOMParser().parseFromString(await response.text(), "text/html");
}

function swapIn(fresh, before) {
  for (const region of document.querySelectorAll("[data-live]")) {
    const replacement = fresh.getElementById(region.id);
    if (replacement) {
      region.replaceWith(document.adoptNode(replacement));
    }
  }
  for (const element of document.querySelectorAll("[data-key]")) {
    if (!before.has(element.dataset.key)) {
      element.classList.add("fresh");
    }
  }
  showTimes(document);
  drawLinks();
}

async function refresh(size) {
  const named = document.querySelector("[data-parts]");
  const parts = named ? named.dataset.parts.split(" ") : [null];
  const before = keys(document);
  let rendered = null; // the journal's size the first part was read at: the oldest
  for (const part of parts) {
    const fresh = await fetched(partUrl(part));
    if (!fresh) {
      return;
    }
    rendered = rendered ?? (fresh.body.dataset.journalSize || String(size));
    swapIn(fresh, before);
  }
  document.body.dataset.journalSize = rendered;
}

function follow() {
  const light = document.getElementById("live");
  const stream = new EventSource("/live");
  let busy = Promise.resolve();
  stream.addEventListener("open", () => light && (light.dataset.state = "on"));
  stream.addEventListener("error", () => light && (light.dataset.state = "off"));
  stream.addEventListener("journal", (message) => {
    const size = message.data;
    busy = busy.then(() => {
      if (size !== document.body.dataset.journalSize) {
        return refresh(size).catch(() => undefined);
      }
      return undefined;
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  showTimes(document);
  drawLinks();
  window.addEventListener("resize", drawLinks);
  setInterval(() => showTimes(document), 60 * 1000);
  follow();
});
