// The identity step: the methods the broker offers (from counter_core/identity.py via the page config), one
// pane each, live card state from the reader, the phone push with its match number, the SMS code.
import {
  $, METHODS, api, busy, config, hideError, registerRenderer, show, showError, state, t, timers,
} from "./core.js";
import {buildKeypads} from "./keypad.js";

let afterVerified = () => {};
let onFatal = () => {};

export function renderIdentity() {
  const s = state.session || {methods: []};
  const note = $("identity-note");
  if (s.needs_another_method) {
    note.hidden = false;
    note.textContent = `${t("kiosk.identity.second")} ${t("kiosk.identity.passed", {methods: s.methods.map((m) => t("kiosk.method." + m)).join("、")})}`;
  } else { note.hidden = true; }
  $("methods").hidden = Boolean(state.method);
  $("methods").replaceChildren(...METHODS.filter((m) => !s.methods.includes(m)).map((m) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "card method"; b.dataset.method = m;
    const title = document.createElement("strong"); title.textContent = t("kiosk.method." + m);
    const hint = document.createElement("small"); hint.textContent = t("kiosk.method." + m + ".hint");
    b.append(title, hint);
    b.onclick = () => chooseMethod(m);
    return b;
  }));
  METHODS.forEach((m) => { $("pane-" + m).hidden = state.method !== m; });
  const inserted = (...types) => Boolean(state.card && state.card.kind === "card_inserted" && types.includes(state.card.card_type));
  // A certificate card the reader cannot name is offered the PIN pad too: its PKCS#11 module decides.
  $("moica-card").textContent = inserted("moica", "unknown") ? t("kiosk.card.inserted") : t("kiosk.card.insert");
  $("moica-pin").hidden = !inserted("moica", "unknown");
  $("nhi-card").textContent = inserted("nhi") ? t("kiosk.card.inserted") : t("kiosk.card.insert_nhi");
  $("pin-display").textContent = "●".repeat(state.inputs.pin.length);
  $("nid-display").textContent = state.inputs.nid;
  $("hh-display").textContent = state.inputs.hh;
  $("otpid-display").textContent = state.inputs.otpid;
  $("otp-display").textContent = state.inputs.otp;
  if (state.push) {
    $("mobile-id").hidden = true; $("mobile-wait").hidden = false;
    $("match-number").textContent = state.push.match_number;
  } else { $("mobile-id").hidden = false; $("mobile-wait").hidden = true; }
}

async function chooseMethod(method) {
  state.method = method; hideError();
  try { state.session = await api("POST", "/method", {method}); } catch (e) { onFatal(e); return; }
  renderIdentity();
  // Demo kiosk (simulated reader): a card method opens the demo card panel, so a first-time visitor sees where
  // the "card" comes from instead of waiting at "insert your card".
  const info = config.methods.find((m) => m.id === method);
  if (config.simulatedReader && info && info.card && !(state.card && state.card.kind === "card_inserted")) $("demo").open = true;
}

async function identityStep(path, body) {
  hideError(); busy(true);
  try {
    afterIdentity(await api("POST", path, body));
  } catch (e) {
    if (e.body && e.body.error === "broker.session.expired") { onFatal(e); return; }
    showError(e.body);
  } finally {
    busy(false);
    state.inputs.pin = ""; state.inputs.otp = "";
    renderIdentity();
  }
}

export function afterIdentity(session) {
  state.session = session;
  state.method = ""; state.push = null;
  Object.keys(state.inputs).forEach((k) => { state.inputs[k] = ""; });
  if (session.verified) afterVerified(); else renderIdentity();
}

async function startPush() {
  hideError();
  try {
    const started = await api("POST", "/identity/mobile", {national_id: state.inputs.nid});
    state.push = started;
    let left = started.seconds;
    $("mobile-progress").max = left;
    const tick = () => {
      $("mobile-progress").value = Math.max(0, left);
      $("mobile-countdown").textContent = t("kiosk.mobile.waiting", {seconds: Math.max(0, left)});
      left -= 1;
    };
    clearInterval(timers.push); tick(); timers.push = setInterval(tick, 1000);
    renderIdentity();
  } catch (e) { showError(e.body); }
}

async function sendOtp() {
  hideError();
  try {
    const sent = await api("POST", "/identity/otp/send", {national_id: state.inputs.otpid});
    $("otp-id").hidden = true; $("otp-code").hidden = false;
    $("otp-sent").textContent = t("kiosk.otp.sent", {phone: sent.sent_to});
  } catch (e) { showError(e.body); }
}

export function pushAnswered(event) {
  clearInterval(timers.push);
  state.push = null;
  if (event.state === "approved") { afterIdentity(event.session); return; }
  state.method = "mobile"; renderIdentity();
  showError({message: event.message});
}

export function resetIdentity() {
  $("otp-id").hidden = false; $("otp-code").hidden = true; $("nhi-number").value = "";
}

export function setUpIdentity({verified, fatal}) {
  afterVerified = verified; onFatal = fatal;
  registerRenderer(["identity"], renderIdentity);
  buildKeypads({
    redraw: renderIdentity,
    submit: {
      pin: () => { if (state.inputs.pin.length >= 4) identityStep("/identity/moica", {pin: state.inputs.pin}); },
      nid: () => startPush(),
      hh: () => identityStep("/identity/nhi", {household_number: state.inputs.hh, nhi_card_number: $("nhi-number").value.trim()}),
      otpid: () => sendOtp(),
      otp: () => identityStep("/identity/otp/verify", {otp: state.inputs.otp}),
    },
  });
  $("identity-back").onclick = async () => {
    if (state.method) {
      if (state.method === "mobile" && state.push) { try { await api("DELETE", "/identity/mobile"); } catch (e) { /* gone */ } }
      clearInterval(timers.push); state.method = ""; state.push = null; hideError();
      try { state.session = await api("POST", "/method", {method: ""}); } catch (e) { /* shown later */ }
      renderIdentity();
    } else { show("terms"); }
  };
}
