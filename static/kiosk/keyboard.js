// An on-screen keyboard for an e-mail address: the kiosk's hardware keypad has digits only. Letters, digits, the
// symbols an address uses (@ . - _ +) and common endings, each a big touch key with a spoken name; a keyboard
// plugged in (a technician's) types into it too. Addresses are typed in lower case (they are not case-sensitive in
// practice, and a shift key would be one more thing to get wrong).
import {$, state, t} from "./core.js";

const ROWS = [
  "1234567890".split(""),
  "qwertyuiop".split(""),
  "asdfghjkl".split(""),
  "zxcvbnm".split("").concat([".", "-", "_"]),
  ["@", "+", "clear", "delete"],
];
const WORDS = ["@gmail.com", "@yahoo.com.tw", "@hotmail.com", ".com", ".com.tw", ".gov.tw", ".tw"];
export const SYMBOL_NAMES = {"@": "kiosk.keyboard.at", ".": "kiosk.keyboard.dot", "-": "kiosk.keyboard.hyphen",
  "_": "kiosk.keyboard.underscore", "+": "kiosk.keyboard.plus"};
const TYPED = /^[a-z0-9@.\-_+]$/;

export function buildKeyboard({target, submit, redraw, active, onKey}) {
  const board = document.querySelector(`.keyboard[data-target="${target}"]`);
  const max = Number(board.dataset.max);
  function press(key) {
    if (key === "clear") state.inputs[target] = "";
    else if (key === "delete") state.inputs[target] = state.inputs[target].slice(0, -1);
    else if (key === "ok") { submit(); return; }
    else state.inputs[target] = (state.inputs[target] + key).slice(0, max);
    redraw();
    onKey(target, key);
  }
  function key(value, className) {
    const b = document.createElement("button");
    b.type = "button"; b.dataset.key = value;
    if (className) b.className = className;
    if (["clear", "delete", "ok"].includes(value)) b.dataset.i18n = "kiosk.keypad." + value;
    else b.textContent = value;
    if (SYMBOL_NAMES[value]) b.dataset.i18nLabel = SYMBOL_NAMES[value];
    b.onclick = () => press(value);
    return b;
  }
  ROWS.forEach((keys) => {
    const row = document.createElement("div"); row.className = "row";
    row.append(...keys.map((k) => key(k)));
    board.append(row);
  });
  const words = document.createElement("div");
  words.className = "row words"; words.setAttribute("role", "group"); words.dataset.i18nLabel = "kiosk.keyboard.shortcuts";
  words.append(...WORDS.map((w) => key(w)));
  const ok = document.createElement("div"); ok.className = "row";
  ok.append(key("ok"));
  board.append(words, ok);
  board.setAttribute("role", "group");
  document.addEventListener("keydown", (event) => {
    if (!active() || event.target.tagName === "INPUT" || !$("idle").hidden) return;
    if (event.target.tagName === "BUTTON" && (event.key === "Enter" || event.key === " ")) return;
    const typed = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (TYPED.test(typed)) press(typed);
    else if (event.key === "Backspace") press("delete");
    else if (event.key === "Enter") press("ok");
    else return;
    event.preventDefault();
  });
}

export function keyName(key) { return SYMBOL_NAMES[key] ? t(SYMBOL_NAMES[key]) : key; }
