// Audio guidance for blind and low-vision citizens: started by the marked key on the kiosk's keypad
// (config.audioKey) or the header's button; each screen's heading, prompt and choices, the match number,
// countdowns and errors are spoken (zh-TW or English, offline: the kiosk renders speech with espeak-ng),
// and keypad keys are echoed — digits, but never a PIN's (only how many were entered). On the consent screen the
// whole text of the terms is read, and only when its last sentence was heard does "I have read and agree" work.
import {$, announce, config, onSpeak, state, t, whenShown} from "./core.js";
import {SECRET_PADS} from "./identity.js";
import {keyName} from "./keyboard.js";

const CHUNK = 380;  // the kiosk renders at most 400 characters a sentence
let on = false;
let queue = [];
let playing = null;
let reading = null;  // the terms being read: {heard: all so far played to their end}

// True once it has been heard to its end; false when it was cut short, failed or could not play.
async function play(text) {
  const response = await fetch("/api/speech", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({language: state.lang, text}), cache: "no-store", credentials: "same-origin"});
  if (!response.ok) return false;
  const url = URL.createObjectURL(await response.blob());
  const audio = new Audio(url);
  playing = audio;
  // Ends when it has been heard, or when it is cut short (a new screen interrupts it).
  const heard = await new Promise((resolve) => {
    // A sentence played to its end also fires "pause" (just before "ended"): only a pause before the end cuts it.
    audio.onended = () => resolve(true); audio.onerror = () => resolve(false); audio.onpause = () => resolve(audio.ended);
    audio.play().catch(() => resolve(false));
  });
  URL.revokeObjectURL(url);
  playing = null;
  return heard;
}

async function drain() {
  while (on && queue.length) {
    const item = queue.shift();
    if (item.finished) {  // the end of a text read in parts: told only if every part was heard
      if (item.group.heard) item.finished();
      if (reading === item.group) reading = null;
      continue;
    }
    let heard = false;
    try { heard = await play(item.text); } catch (e) { /* a sentence lost is not worth stopping for */ }
    if (item.group && !heard) item.group.heard = false;
  }
}

export function speak(text, {interrupt = false} = {}) {
  if (!on || !text) return;
  if (interrupt) {
    queue = []; if (playing) playing.pause();
    if (reading) { reading = null; document.dispatchEvent(new CustomEvent("terms-interrupted")); }
  }
  queue.push({text: text.slice(0, 400)});
  if (!playing) drain();
}

// Long text in parts of at most CHUNK characters, cut after a sentence where it can be.
function parts(blocks) {
  const sentences = blocks.flatMap((b) => b.split(/(?<=[。；;！？!?])\s*|(?<=\.)\s+/)).map((s) => s.trim()).filter(Boolean);
  const out = [];
  sentences.forEach((s) => {
    for (let i = 0; i < s.length; i += CHUNK) {
      const piece = s.slice(i, i + CHUNK);
      if (out.length && out[out.length - 1].length + piece.length < CHUNK) out[out.length - 1] += " " + piece;
      else out.push(piece);
    }
  });
  return out;
}

// The consent screen's whole text, read in order; "terms-read" once its last part was heard.
function readTerms() {
  const blocks = [...$("terms-scroll").querySelectorAll("p, h2, h3, caption, tr, dt, dd")]
    .filter((el) => el.offsetParent !== null)
    .map((el) => (el.tagName === "TR" ? [...el.cells].map((c) => c.textContent).join("：") : el.textContent).trim())
    .filter(Boolean);
  const group = {heard: true};
  reading = group;
  parts(blocks).forEach((text) => queue.push({text, group}));
  queue.push({group, finished: () => document.dispatchEvent(new CustomEvent("terms-read"))});
  document.dispatchEvent(new CustomEvent("terms-reading"));
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
  if (!on) {
    queue = []; if (playing) playing.pause();
    if (reading) { reading = null; document.dispatchEvent(new CustomEvent("terms-interrupted")); }
    announce(t("kiosk.audio.off"), {speak: false}); return;
  }
  speak(t("kiosk.audio.on"), {interrupt: true});
  speak(describeScreen());
  if (state.screen === "terms") readTerms();
}

export function setUpAudio() {
  $("audio").onclick = toggle;
  document.addEventListener("keydown", (event) => {
    if (event.key === config.audioKey) { event.preventDefault(); toggle(); }
  });
  whenShown((screen) => {
    if (!on) return;
    speak(describeScreen(), {interrupt: true});
    if (screen === "terms") readTerms();
  });
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
      if (["clear", "delete"].includes(key)) speak(t("kiosk.keypad." + key), {interrupt: true});
      else speak(keyName(key), {interrupt: true});
    },
  };
}
