// The idle clock: a warning after kiosk.idle_warning_s without a touch, then the wipe.
import {$, config, state, t, timers, toast, whenShown} from "./core.js";

export function startIdleClock(finish) {
  function touched() {
    if (!$("idle").hidden) return;
    clearTimeout(timers.idle);
    if (state.screen === "welcome") return;  // every screen but the welcome screen starts the idle clock
    timers.idle = setTimeout(warn, config.idleWarningS * 1000);
  }
  function warn() {
    let left = config.idleWipeS;
    $("idle").hidden = false;
    const tick = () => {
      $("idle-body").textContent = t("kiosk.idle.body", {seconds: left});
      left -= 1;
      if (left < 0) { clearInterval(timers.idleTick); $("idle").hidden = true; finish(); toast(t("kiosk.idle.wiped")); }
    };
    tick(); timers.idleTick = setInterval(tick, 1000);
  }
  $("idle-continue").onclick = () => { clearInterval(timers.idleTick); $("idle").hidden = true; touched(); };
  ["pointerdown", "keydown"].forEach((name) => document.addEventListener(name, touched, true));
  whenShown(touched);
}
