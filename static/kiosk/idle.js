// The idle clock: a warning (an alert dialog) after kiosk.idle_warning_s without a touch, then the wipe.
// A wait the citizen cannot shorten — the phone, an SMS, the printer, a clerk coming to help — holds the
// clock until its own end (state.waitUntil); the server session is kept alive meanwhile.
import {$, announce, api, config, state, t, timers, whenShown} from "./core.js";

export function startIdleClock(finish) {
  function schedule() {
    clearTimeout(timers.idle);
    if (state.screen === "welcome" || state.screen === "takecard" || !$("idle").hidden) return;
    const waitLeft = Math.max(0, state.waitUntil - Date.now());
    timers.idle = setTimeout(warn, waitLeft + config.idleWarningS * 1000);
  }
  function warn() {
    if (state.waitUntil > Date.now()) { schedule(); return; }
    let left = config.idleWipeS;
    const opener = document.activeElement;
    $("idle").hidden = false;
    $("idle-continue").focus();
    const tick = () => {
      $("idle-body").textContent = t("kiosk.idle.body", {seconds: left});
      if (left === config.idleWipeS || left % 10 === 0 || left <= 5) announce($("idle-body").textContent);
      left -= 1;
      if (left < 0) { close(); finish("kiosk.idle.wiped"); }
    };
    tick(); timers.idleTick = setInterval(tick, 1000);
    close.opener = opener;
  }
  function close() {
    clearInterval(timers.idleTick);
    $("idle").hidden = true;
    if (close.opener && close.opener.focus) close.opener.focus();
  }
  $("idle-continue").onclick = () => { close(); schedule(); };  // "I need more time": a full round again
  $("idle-cancel").onclick = () => { close(); finish(""); };
  $("idle").addEventListener("keydown", (event) => {  // keep the focus inside the dialog
    if (event.key !== "Tab") return;
    const first = $("idle-continue"), last = $("idle-cancel");
    if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
    else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
  });
  ["pointerdown", "keydown"].forEach((name) => document.addEventListener(name, () => { if ($("idle").hidden) schedule(); }, true));
  whenShown(schedule);
  reschedule = schedule;
  // While a wait holds the clock, the kiosk's server session must not expire either.
  timers.keepAlive = setInterval(() => {
    if (state.waitUntil > Date.now() && state.screen !== "welcome") api("GET", "/state").catch(() => {});
  }, 20_000);
}

// Named waits (push, otp, print, help): the idle clock is held until the last of them ends.
const waits = {};
let reschedule = () => {};
function update() { state.waitUntil = Math.max(0, ...Object.values(waits)); reschedule(); }
export function waitFor(name, seconds) { waits[name] = Date.now() + seconds * 1000; update(); }
export function waitDone(name) {
  if (name) delete waits[name]; else Object.keys(waits).forEach((k) => delete waits[k]);
  update();
}
