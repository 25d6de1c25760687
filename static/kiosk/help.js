// "請櫃台協助": the citizen calls a clerk. The kiosk tells the clerk stations of this counter which kiosk and
// which screen (never anything personal); the page waits for a clerk to say they are coming, and the idle
// clock is held while help comes.
import {$, announce, api, sleep, state, t} from "./core.js";
import {waitDone, waitFor} from "./idle.js";

const HELP_WAIT_S = 300;

function status(key, params) {
  const el = $("help-status");
  el.textContent = t(key, params); el.hidden = false;
  announce(el.textContent);
}

async function follow(id) {
  for (let i = 0; i < HELP_WAIT_S / 3; i += 1) {
    await sleep(3000);
    try {
      const answer = await api("GET", "/help/" + id);
      if (answer.state === "acknowledged") { status("kiosk.help.coming"); return; }
    } catch (e) { return; }
  }
}

export function setUpHelp() {
  $("help").onclick = async () => {
    $("help").disabled = true;
    waitFor("help", HELP_WAIT_S);
    try {
      const sent = await api("POST", "/help", {screen: state.screen});
      status(sent.stations > 0 ? "kiosk.help.sent" : "kiosk.help.none");
      if (sent.stations > 0) await follow(sent.id);
    } catch (e) {
      status("kiosk.help.none");
    } finally {
      setTimeout(() => { $("help").disabled = false; $("help-status").hidden = true; waitDone("help"); }, 60_000);
    }
  };
}
