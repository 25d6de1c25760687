// What every part of the kiosk page shares: its config, the citizen's state (in memory only: no storage,
// inputs cleared on every screen change), text lookup, the JSON API, screens with focus on their heading,
// errors next to the field they concern, and announcements (screen readers; speech in audio mode).
export const config = JSON.parse(document.getElementById("config").textContent);
export const $ = (id) => document.getElementById(id);
export const SCREENS = ["welcome", "takecard", "services", "terms", "identity", "contact", "records", "print", "done"];
const STEP_OF = {services: "1", terms: "2", identity: "3", contact: "4", records: "4", print: "5", done: "6"};
export const METHODS = config.methods.map((m) => m.id);  // counter_core/identity.py, listed once

export const state = {
  lang: config.defaultLanguage, scale: "1", screen: "welcome", catalogue: null, category: "",
  service: null, session: null, method: "",
  inputs: {pin: "", nhipw: "", nid: "", hh: "", nhinum: "", otpid: "", otpphone: "", otp: "",
           multiid: "", multibirth: "", multicard: "", multihh: "", multiissued: "", cphone: "", cemail: "", ccode: ""},
  push: null, card: null, result: null, error: null, waitUntil: 0, locked: [], substep: "", readerProblem: "",
};
export const timers = {idle: null, idleTick: null, done: null, push: null, qr: null, keepAlive: null};

export function t(key, params) {
  let text = (config.messages[state.lang] || {})[key] || (config.messages["zh-TW"] || {})[key] || key;
  Object.entries(params || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
  return text;
}
// Lists in the citizen's language: "A、B" / "A, B"; a name with its items: "A（x、y）" / "A (x, y)".
export function list(items) { return items.join(t("kiosk.list.separator")); }
export function group(name, items) { return t("kiosk.list.group", {name, items: list(items)}); }
export function pick(text) { return text ? (text[state.lang] || text["zh-TW"]) : ""; }
export function errorText(body) { return body && body.message ? pick(body.message) : t("broker.error"); }

export async function api(method, path, body) {
  const response = await fetch("/api" + path, {
    method, headers: {"Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined,
    cache: "no-store", credentials: "same-origin",
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) { const error = new Error(data.error || "error"); error.body = data; throw error; }
  return data;
}

// ---- announcements: a live region for screen readers, and the speech hook audio mode sets ----------
const speakers = [];
export function onSpeak(fn) { speakers.push(fn); }
export function announce(text, {speak = true} = {}) {
  const el = $("announce");
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 30);  // a change the live region always reports
  if (speak) speakers.forEach((fn) => fn(text));
}

export function toast(text) {
  const el = $("toast"); el.textContent = text; el.hidden = false;
  announce(text);
  setTimeout(() => { el.hidden = true; }, 5000);
}

// ---- errors: shown next to the field on screen (under its entry, above the keypad), never under the bar ----
const ERRORS = ["identity-error", "contact-error"];  // each screen with fields has its own
function errorElement() {
  const screen = $("screen-" + state.screen);
  return (screen && screen.querySelector("p.error[role=alert]")) || $("identity-error");
}
export function showError(body) {
  state.error = body;
  const el = errorElement();
  const screen = $("screen-" + state.screen);
  const field = [...screen.querySelectorAll(".pane:not([hidden]) .entry, .pane:not([hidden]) .match")]
    .find((entry) => entry.offsetParent !== null);
  (field || screen.querySelector("[data-error-home]") || $("identity-note")).after(el);
  el.textContent = errorText(body);
  el.hidden = false;
  el.scrollIntoView({block: "nearest"});
  announce(el.textContent);
}
export function hideError() { state.error = null; ERRORS.forEach((id) => { $(id).hidden = true; }); }
export function busy(on) { $("identity-busy").hidden = !on; }

// ---- screens ------------------------------------------------------------------------------------
const renderers = {};
const onShow = [];
export function registerRenderer(screens, fn) { screens.forEach((s) => { renderers[s] = fn; }); }
export function whenShown(fn) { onShow.push(fn); }
export function render() { const fn = renderers[state.screen]; if (fn) fn(); }
export function applyText() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-label]").forEach((el) => el.setAttribute("aria-label", t(el.dataset.i18nLabel)));
  document.querySelectorAll("[data-lang]").forEach((el) => el.setAttribute("aria-pressed", String(el.dataset.lang === state.lang)));
  document.querySelectorAll("[data-size]").forEach((el) => el.setAttribute("aria-pressed", String(el.dataset.size === state.scale)));
  const step = STEP_OF[state.screen];
  $("step").textContent = step ? t("kiosk.step", {n: step + state.substep}) : "";
  render();
  if (state.error && !errorElement().hidden) errorElement().textContent = errorText(state.error);
}
export function setScale(scale) {
  state.scale = scale;
  document.documentElement.style.setProperty("--scale", scale);
  applyText();
}
export function show(screen) {
  state.screen = screen;
  SCREENS.forEach((name) => { $("screen-" + name).hidden = name !== screen; });
  Object.keys(state.inputs).forEach((k) => { state.inputs[k] = ""; });
  hideError();
  applyText();
  window.scrollTo(0, 0);
  const heading = $("screen-" + screen).querySelector("h1");
  if (heading && !heading.hidden) heading.focus({preventScroll: true});
  onShow.forEach((fn) => fn(screen));
}
export function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
