// On-screen keypads (digits, and letters for national IDs and household numbers): the kiosk has no keyboard.
// A keyboard plugged in (a technician's, or a keypad for blind users) drives the keypad on screen.
import {$, state, t} from "./core.js";

const LETTER_PADS = ["nid", "hh", "otpid", "nhipw", "multiid", "multihh", "bankid"];  // the pads with a letter row
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete", "ok"];

export function buildKeypads({submit, redraw, active, onKey, root = document}) {
  function press(target, key) {
    const max = Number(root.querySelector(`.keypad[data-target="${target}"]`).dataset.max);
    if (key === "clear") state.inputs[target] = "";
    else if (key === "delete") state.inputs[target] = state.inputs[target].slice(0, -1);
    else if (key === "ok") { submit[target](); return; }
    else if (state.inputs[target].length < max) state.inputs[target] += key;
    redraw();
    onKey(target, key);
  }
  root.querySelectorAll(".keypad").forEach((pad) => {
    const target = pad.dataset.target;
    pad.setAttribute("role", "group");
    KEYS.forEach((key) => {
      const b = document.createElement("button");
      b.type = "button"; b.dataset.key = key;
      if (["clear", "delete", "ok"].includes(key)) b.dataset.i18n = "kiosk.keypad." + key; else b.textContent = key;
      if (key === "ok") b.className = "primary";
      b.onclick = () => press(target, key);
      pad.appendChild(b);
    });
    const before = pad.previousElementSibling;
    const letters = before && before.classList.contains("letters") ? before : null;
    if (letters) {
      letters.setAttribute("role", "group");
      letters.setAttribute("aria-label", t("kiosk.keypad.letters"));
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("").forEach((letter) => {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = letter; b.dataset.key = letter;
        b.onclick = () => press(target, letter);
        letters.appendChild(b);
      });
    }
  });
  document.addEventListener("keydown", (event) => {
    const target = active();
    if (!target || event.target.tagName === "INPUT" || !$("idle").hidden) return;
    if (event.target.tagName === "BUTTON" && (event.key === "Enter" || event.key === " ")) return;  // the button's own
    if (/^[0-9]$/.test(event.key)) press(target, event.key);
    else if (/^[a-zA-Z]$/.test(event.key) && LETTER_PADS.includes(target)) press(target, event.key.toUpperCase());
    else if (event.key === "Backspace") press(target, "delete");
    else if (event.key === "Enter") press(target, "ok");
    else return;
    event.preventDefault();
  });
}
