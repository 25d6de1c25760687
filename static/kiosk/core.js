// What every part of the kiosk page shares: its config, the citizen's state (in memory only: no storage,
// inputs cleared on every screen change), text lookup, the JSON API and the shared message spots.
export const config = JSON.parse(document.getElementById("config").textContent);
export const $ = (id) => document.getElementById(id);
export const SCREENS = ["welcome", "services", "terms", "identity", "print", "done"];
export const METHODS = config.methods.map((m) => m.id);  // counter_core/identity.py, listed once

export const state = {
  lang: config.defaultLanguage, size: "normal", screen: "welcome", catalogue: null, category: "",
  service: null, session: null, method: "", inputs: {pin: "", nid: "", hh: "", otpid: "", otp: ""},
  push: null, card: null, result: null,
};
export const timers = {idle: null, idleTick: null, done: null, push: null};

export function t(key, params) {
  let text = (config.messages[state.lang] || {})[key] || (config.messages["zh-TW"] || {})[key] || key;
  Object.entries(params || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
  return text;
}
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

export function toast(text) {
  const el = $("toast"); el.textContent = text; el.hidden = false;
  setTimeout(() => { el.hidden = true; }, 4000);
}
export function showError(body) { const el = $("identity-error"); el.textContent = errorText(body); el.hidden = false; }
export function hideError() { $("identity-error").hidden = true; }
export function busy(on) { $("identity-busy").hidden = !on; }

// Screens register how they draw themselves; show() switches and redraws.
const renderers = {};
const onShow = [];
export function registerRenderer(screens, fn) { screens.forEach((s) => { renderers[s] = fn; }); }
export function whenShown(fn) { onShow.push(fn); }
export function render() { const fn = renderers[state.screen]; if (fn) fn(); }
export function applyText() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  document.querySelectorAll("[data-lang]").forEach((el) => el.setAttribute("aria-pressed", String(el.dataset.lang === state.lang)));
  document.querySelectorAll("[data-size]").forEach((el) => el.setAttribute("aria-pressed", String(el.dataset.size === state.size)));
  const index = SCREENS.indexOf(state.screen);
  $("step").textContent = index > 0 ? t("kiosk.step", {n: index}) : "";
  render();
}
export function show(screen) {
  state.screen = screen;
  SCREENS.forEach((name) => { $("screen-" + name).hidden = name !== screen; });
  Object.keys(state.inputs).forEach((k) => { state.inputs[k] = ""; });
  hideError();
  applyText();
  window.scrollTo(0, 0);
  onShow.forEach((fn) => fn(screen));
}
