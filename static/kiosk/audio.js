// Audio guidance for blind and low-vision citizens: started by the marked key on the kiosk's keypad
// (config.audioKey) or the header's button; each screen's heading, prompt and choices, the match number,
// countdowns and errors are spoken (zh-TW or English, offline: the kiosk renders speech with espeak-ng),
// and keypad keys are echoed — digits, but never a PIN's (only how many were entered).
import {$, announce, config, onSpeak, state, t, whenShown} from "./core.js";
import {SECRET_PADS} from "./identity.js";

let on = false;
let queue = [];
let playing = null;

async function play(text) {
  const response = await fetch("/api/speech", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({language: state.lang, text}), cache: "no-store", credentials: "same-origin"});
  if (!response.ok) return;
  const url = URL.createObjectURL(await response.blob());
  const audio = new Audio(url);
  playing = audio;
  // Ends when it has been heard, or when it is cut short (a new screen interrupts it).
  await new Promise((resolve) => {
    audio.onended = resolve; audio.onerror = resolve; audio.onpause = resolve;
    audio.play().catch(resolve);
  });
  URL.revokeObjectURL(url);
  playing = null;
}

async function drain() {
  while (on && queue.length) {
    const text = queue.shift();
    try { await play(text); } catch (e) { /* a sentence lost is not worth stopping for */ }
  }
}

export function speak(text, {interrupt = false} = {}) {
  if (!on || !text) return;
  if (interrupt) { queue = []; if (playing) playing.pause(); }
  queue.push(text.slice(0, 400));
  if (!playing) drain();
}
export function speakKey(key, params) { speak(t(key, params)); }

function describeScreen() {
  const screen = $("screen-" + state.screen);
  if (!screen) return "";
  const visible = (el) => el.offsetParent !== null;
  const parts = [...screen.querySelectorAll("h1, .lead, .note, .pane:not([hidden]) > div:not([hidden]) > p, .pane:not([hidden]) .status")]
    .filter(visible).map((el) => el.textContent.trim()).filter(Boolean);
  const choices = [...screen.querySelectorAll(".card strong, .big")].filter(visible).map((el) => el.textContent.trim());
  if (choices.length) parts.push(t("kiosk.audio.choices", {count: choices.length, choices: choices.slice(0, 12).join("、")}));
  return parts.join("。");
}

function toggle() {
  on = !on;
  $("audio").setAttribute("aria-pressed", String(on));
  if (!on) { queue = []; if (playing) playing.pause(); announce(t("kiosk.audio.off"), {speak: false}); return; }
  speak(t("kiosk.audio.on"), {interrupt: true});
  speak(describeScreen());
}

export function setUpAudio() {
  $("audio").onclick = toggle;
  document.addEventListener("keydown", (event) => {
    if (event.key === config.audioKey) { event.preventDefault(); toggle(); }
  });
  whenShown(() => { if (on) speak(describeScreen(), {interrupt: true}); });
  onSpeak((text) => speak(text));
  return {
    audioOn: () => on,
    keyPressed(target, key) {
      if (!on) return;
      if (SECRET_PADS.includes(target)) {  // a PIN or password: how many, never which
        speak(t("kiosk.pin.count", {n: state.inputs[target].length}), {interrupt: true});
        return;
      }
      if (key === "ok") return;
      speak(/^[0-9A-Z]$/.test(key) ? key : t("kiosk.keypad." + key), {interrupt: true});
    },
  };
}
