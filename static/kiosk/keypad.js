// On-screen keypads (digits, and letters for national IDs and household numbers): the kiosk has no keyboard.
// A hardware keyboard, when a technician plugs one in, drives the keypad on screen.
import {$, state} from "./core.js";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete", "ok"];

export function buildKeypads({submit, redraw}) {
  function press(target, key) {
    const max = Number(document.querySelector(`.keypad[data-target="${target}"]`).dataset.max);
    if (key === "clear") state.inputs[target] = "";
    else if (key === "delete") state.inputs[target] = state.inputs[target].slice(0, -1);
    else if (key === "ok") { submit[target](); return; }
    else if (state.inputs[target].length < max) state.inputs[target] += key;
    redraw();
  }
  document.querySelectorAll(".keypad").forEach((pad) => {
    const target = pad.dataset.target;
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
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("").forEach((letter) => {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = letter; b.dataset.key = letter;
        b.onclick = () => press(target, letter);
        letters.appendChild(b);
      });
    }
  });
  function activeKeypad() {
    if (state.screen !== "identity" || !state.method) return null;
    if (state.method === "moica") return $("moica-pin").hidden ? null : "pin";
    if (state.method === "mobile") return state.push ? null : "nid";
    if (state.method === "nhi_household") return "hh";
    if (state.method === "otp") return $("otp-code").hidden ? "otpid" : "otp";
    return null;
  }
  document.addEventListener("keydown", (event) => {
    const target = activeKeypad();
    if (!target || event.target.tagName === "INPUT") return;
    if (/^[0-9]$/.test(event.key)) press(target, event.key);
    else if (/^[a-zA-Z]$/.test(event.key) && target !== "pin" && target !== "otp") press(target, event.key.toUpperCase());
    else if (event.key === "Backspace") press(target, "delete");
    else if (event.key === "Enter") press(target, "ok");
    else return;
    event.preventDefault();
  });
}
