// The identity step: the methods the broker offers (from counter_core/identity.py via the page config), one
// pane each, live card state from the reader, the phone push with its match number, the SMS code. Errors say
// what to do next; a locked card leaves the other methods; the first use's second method shows its progress.
import {
  $, METHODS, announce, api, busy, config, hideError, registerRenderer, show, showError, state, t, timers,
} from "./core.js";
import {waitDone, waitFor} from "./idle.js";
import {buildKeypads} from "./keypad.js";

const OTP_WAIT_S = 300;
let afterVerified = () => {};
let onFatal = () => {};
let onKey = () => {};

function methodName(m) { return t("kiosk.method." + m); }

function offered(session) {
  return METHODS.filter((m) => !session.methods.includes(m) && !state.locked.includes(m));
}

export function renderIdentity() {
  const s = state.session || {methods: []};
  const note = $("identity-note");
  state.substep = s.needs_another_method ? "b" : (s.methods.length ? "" : "a");
  if (s.needs_another_method) {
    note.hidden = false; note.className = "note passed";
    note.textContent = t("kiosk.identity.progress", {methods: s.methods.map(methodName).join("、"), done: s.methods.length, of: s.methods.length + 1});
  } else { note.hidden = true; }
  const list = offered(s);
  $("methods").hidden = Boolean(state.method);
  $("methods-why").hidden = Boolean(state.method) || !state.locked.length;
  $("methods-why").textContent = state.locked.length ? t("kiosk.identity.locked_others", {methods: state.locked.map(methodName).join("、")}) : "";
  $("methods").replaceChildren(...list.map((m) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "card method"; b.dataset.method = m;
    const title = document.createElement("strong"); title.textContent = methodName(m);
    const hint = document.createElement("small"); hint.textContent = t("kiosk.method." + m + ".hint");
    b.append(title, hint);
    b.onclick = () => chooseMethod(m);
    return b;
  }));
  METHODS.forEach((m) => { const pane = $("pane-" + m); if (pane) pane.hidden = state.method !== m; });
  const inserted = (...types) => Boolean(state.card && state.card.kind === "card_inserted" && types.includes(state.card.card_type));
  const wrongCard = state.card && state.card.kind === "card_inserted";
  // A certificate card the reader cannot name is offered the PIN pad too: its PKCS#11 module decides.
  $("moica-card").textContent = inserted("moica", "unknown") ? t("kiosk.card.inserted")
    : (wrongCard ? t("kiosk.card.wrong_moica") : t("kiosk.card.insert"));
  $("moica-pin").hidden = !inserted("moica", "unknown");
  $("nhi-card").textContent = inserted("nhi") ? t("kiosk.card.inserted")
    : (wrongCard ? t("kiosk.card.wrong_nhi") : t("kiosk.card.insert_nhi"));
  const pin = state.inputs.pin.length;
  $("pin-display").replaceChildren(
    Object.assign(document.createElement("span"), {textContent: "●".repeat(pin), ariaHidden: "true"}),
    Object.assign(document.createElement("span"), {textContent: t("kiosk.pin.count", {n: pin}), className: "sr-only"}),
  );
  $("nid-display").textContent = state.inputs.nid;
  $("hh-display").textContent = state.inputs.hh;
  $("nhinum-display").textContent = state.inputs.nhinum;
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
  const heading = $("pane-" + method).querySelector("p");
  if (heading) announce(heading.textContent);
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
    const error = e.body && e.body.error;
    if (error === "broker.session.expired") { onFatal(e); return; }
    if (error === "card.pin_locked") {  // the card is locked: offer every other way in
      state.locked = [...state.locked, "moica"]; state.method = "";
      renderIdentity();
    }
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
  waitDone("push"); waitDone("otp");
  if (session.verified) { afterVerified(); return; }
  renderIdentity();
  announce($("identity-note").textContent);
  $("h-identity").focus({preventScroll: true});
}

function pushMeter(left, total) {
  const meter = $("mobile-progress");
  meter.setAttribute("aria-valuemax", String(total));
  meter.setAttribute("aria-valuenow", String(left));
  meter.setAttribute("aria-valuetext", t("kiosk.mobile.waiting", {seconds: left}));
  meter.firstElementChild.style.width = `${Math.round((100 * left) / total)}%`;
}

async function startPush() {
  hideError();
  try {
    const started = await api("POST", "/identity/mobile", {national_id: state.inputs.nid});
    state.push = started;
    const total = started.seconds;
    let left = total;
    waitFor("push", total);
    const tick = () => {
      pushMeter(Math.max(0, left), total);
      $("mobile-countdown").textContent = t("kiosk.mobile.waiting", {seconds: Math.max(0, left)});
      if (left > 0 && (left % 30 === 0 || left === 10)) announce($("mobile-countdown").textContent);
      left -= 1;
    };
    clearInterval(timers.push); tick(); timers.push = setInterval(tick, 1000);
    renderIdentity();
    announce(t("kiosk.mobile.say_number", {number: started.match_number.split("").join(" ")}));
  } catch (e) { showError(e.body); }
}

async function sendOtp() {
  hideError();
  try {
    const sent = await api("POST", "/identity/otp/send", {national_id: state.inputs.otpid});
    $("otp-id").hidden = true; $("otp-code").hidden = false;
    $("otp-sent").textContent = t("kiosk.otp.sent", {phone: sent.sent_to});
    waitFor("otp", OTP_WAIT_S);
    announce($("otp-sent").textContent);
  } catch (e) { showError(e.body); }
}

export function pushAnswered(event) {
  clearInterval(timers.push);
  state.push = null;
  waitDone("push");
  if (event.state === "approved") { afterIdentity(event.session); return; }
  state.method = "mobile"; renderIdentity();
  showError({message: event.message});
}

export function resetIdentity() {
  $("otp-id").hidden = false; $("otp-code").hidden = true;
  $("nhi-number-entry").hidden = true; $("hh-entry").hidden = false;
  state.locked = []; state.nhiNumber = "";
}

function activeKeypad() {
  if (state.screen !== "identity" || !state.method) return null;
  if (state.method === "moica") return $("moica-pin").hidden ? null : "pin";
  if (state.method === "mobile") return state.push ? null : "nid";
  if (state.method === "nhi_household") return $("nhi-number-entry").hidden ? "hh" : "nhinum";
  if (state.method === "otp") return $("otp-code").hidden ? "otpid" : "otp";
  return null;
}

export function setUpIdentity({verified, fatal, keyPressed}) {
  afterVerified = verified; onFatal = fatal; onKey = keyPressed;
  registerRenderer(["identity"], renderIdentity);
  buildKeypads({
    redraw: renderIdentity,
    active: activeKeypad,
    onKey: (target, key) => onKey(target, key),
    submit: {
      pin: () => { if (state.inputs.pin.length >= 4) identityStep("/identity/moica", {pin: state.inputs.pin}); },
      nid: () => startPush(),
      nhinum: () => {
        state.nhiNumber = state.inputs.nhinum;  // the NHI card's number, for a citizen without the card
        $("nhi-number-entry").hidden = true; $("hh-entry").hidden = false; renderIdentity();
      },
      hh: () => identityStep("/identity/nhi", {household_number: state.inputs.hh, nhi_card_number: state.nhiNumber || ""}),
      otpid: () => sendOtp(),
      otp: () => identityStep("/identity/otp/verify", {otp: state.inputs.otp}),
    },
  });
  $("nhi-no-card").onclick = () => { $("hh-entry").hidden = true; $("nhi-number-entry").hidden = false; renderIdentity(); };
  $("otp-resend").onclick = () => { state.inputs.otp = ""; sendOtp(); };
  $("identity-back").onclick = async () => {
    if (state.method) {
      if (state.method === "mobile" && state.push) { try { await api("DELETE", "/identity/mobile"); } catch (e) { /* gone */ } }
      clearInterval(timers.push); state.method = ""; state.push = null; hideError(); waitDone("push"); waitDone("otp");
      try { state.session = await api("POST", "/method", {method: ""}); } catch (e) { /* shown later */ }
      renderIdentity();
    } else { show("terms"); }
  };
}
