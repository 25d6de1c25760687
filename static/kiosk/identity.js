// The identity step: the methods the chosen service allows (the broker's rule, per dataset), one pane each,
// live card state from the reader, the phone push with its match number, the SMS code. Errors say what to do
// next; a locked card leaves the other methods; the first use's second method shows its progress and never
// asks again for the ID the first one proved.
import {
  $, METHODS, announce, api, busy, config, hideError, list, registerRenderer, show, showError, state, t, timers,
} from "./core.js";
import {bankCardKeypad, renderBankCard, resetBankCard, setUpBankCard} from "./bank_card.js";
import {waitDone, waitFor} from "./idle.js";
import {buildKeypads} from "./keypad.js";
import {validNationalId} from "./national_id.js";

const OTP_WAIT_S = 300;
export const SECRET_PADS = ["pin", "nhipw", "bankpin"];  // never echoed: only how many were entered
const INFO = Object.fromEntries(config.methods.map((m) => [m.id, m]));
let afterVerified = () => {};
let onFatal = () => {};
let onKey = () => {};

function methodName(m) { return t("kiosk.method." + m); }
const second = () => Boolean(state.session && state.session.needs_another_method);

// The first method: those the service allows. A second one (first use): any on another credential.
function offered(session) {
  const allowed = (state.service && state.service.service.allowed_methods) || METHODS;
  const used = session.methods.map((m) => INFO[m] && INFO[m].credential);
  const fits = (m) => (session.methods.length ? !used.includes(INFO[m].credential) : allowed.includes(m));
  return {
    shown: METHODS.filter((m) => fits(m) && !session.methods.includes(m) && !state.locked.includes(m)),
    absent: session.methods.length ? [] : METHODS.filter((m) => !allowed.includes(m)),
  };
}

function secret(id, length) {
  $(id).replaceChildren(
    Object.assign(document.createElement("span"), {textContent: "●".repeat(length), ariaHidden: "true"}),
    Object.assign(document.createElement("span"), {textContent: t("kiosk.pin.count", {n: length}), className: "sr-only"}),
  );
}

function cardText(kind, insertKey, wrongKey) {
  const card = state.card && state.card.kind === "card_inserted" ? state.card.card_type : null;
  if (card === kind || (kind === "moica" && card === "unknown")) return t("kiosk.card.inserted");
  return card ? t(wrongKey) : t(insertKey);
}

export function renderIdentity() {
  const s = state.session || {methods: []};
  // the reader failed while its pane was open ("insert your card" would wait forever): back to the methods
  if (state.readerProblem && state.method && INFO[state.method] && INFO[state.method].card) state.method = "";
  const note = $("identity-note");
  state.substep = second() ? "b" : (s.methods.length ? "" : "a");
  if (second()) {
    note.hidden = false; note.className = "note passed";
    note.textContent = t("kiosk.identity.progress", {methods: list(s.methods.map(methodName)), done: s.methods.length, of: s.methods.length + 1});
  } else { note.hidden = true; }
  const {shown, absent} = offered(s);
  const why = [];
  if (absent.length) why.push(t("kiosk.identity.not_offered", {methods: list(absent.map(methodName))}));
  if (state.locked.length) why.push(t("kiosk.identity.locked_others", {methods: list(state.locked.map(methodName))}));
  // The reader does not work (pcscd down, unplugged): the card methods stay in view, greyed, with the reason.
  const paused = state.readerProblem ? shown.filter((m) => INFO[m].card) : [];
  if (paused.length) why.push(t("kiosk.identity.reader_down", {methods: list(paused.map(methodName))}));
  $("methods").hidden = Boolean(state.method);
  $("methods-why").hidden = Boolean(state.method) || !why.length;
  $("methods-why").textContent = why.join("\n");  // one reason a line (#methods-why keeps line breaks)
  $("methods").replaceChildren(...shown.map((m) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "card method"; b.dataset.method = m;
    const title = document.createElement("strong"); title.textContent = methodName(m);
    const hint = document.createElement("small"); hint.textContent = t("kiosk.method." + m + ".hint");
    b.append(title, hint);
    if (paused.includes(m)) b.disabled = true;
    else b.onclick = () => chooseMethod(m);
    return b;
  }));
  METHODS.forEach((m) => { const pane = $("pane-" + m); if (pane) pane.hidden = state.method !== m; });
  const inserted = (...types) => Boolean(state.card && state.card.kind === "card_inserted" && types.includes(state.card.card_type));
  // A certificate card the reader cannot name is offered the PIN pad too: its PKCS#11 module decides.
  $("moica-card").textContent = cardText("moica", "kiosk.card.insert", "kiosk.card.wrong_moica");
  $("moica-pin").hidden = !inserted("moica", "unknown");
  $("nhi-card").textContent = cardText("nhi", "kiosk.card.insert_nhi", "kiosk.card.wrong_nhi");
  $("nhicard-card").textContent = cardText("nhi", "kiosk.card.insert_nhi", "kiosk.card.wrong_nhi");
  $("nhicard-password").hidden = !inserted("nhi");
  secret("pin-display", state.inputs.pin.length);
  secret("nhipw-display", state.inputs.nhipw.length);
  secret("bankpin-display", state.inputs.bankpin.length);
  renderBankCard({second: second(), inserted, cardText});
  ["nid", "hh", "nhinum", "otpid", "otpphone", "otp", "multiid", "multibirth", "multicard", "multihh", "multiissued"]
    .forEach((k) => { $(k + "-display").textContent = state.inputs[k]; });
  const known = s.masked_id ? t("kiosk.identity.same_person", {masked: s.masked_id}) : "";
  document.querySelectorAll(".known-id").forEach((el) => { el.textContent = known; });
  $("mobile-qr").hidden = second() || Boolean(state.push) || state.mobileTyped;
  $("mobile-known").hidden = !second() || Boolean(state.push);
  $("mobile-id").hidden = second() || Boolean(state.push) || !state.mobileTyped;
  $("mobile-wait").hidden = !state.push;
  $("qr-image").alt = t("kiosk.qr.alt");
  $("qr-image").hidden = !state.qr || state.qr.expired;
  $("qr-expired").hidden = !(state.qr && state.qr.expired);
  $("qr-renew").hidden = Boolean(state.qr) && !state.qr.expired;
  $("qr-left").textContent = state.qr && !state.qr.expired ? t("kiosk.qr.left", {seconds: Math.max(0, state.qr.left)}) : "";
  if (state.push) $("match-number").textContent = state.push.match_number;
  $("otp-known").hidden = !second() || state.otpStep === "code";
  $("otp-id").hidden = state.otpStep !== "id" || second();
  $("otp-phone").hidden = !(state.otpStep === "phone" || (state.otpStep === "id" && second()));
  $("otp-code").hidden = state.otpStep !== "code";
  renderMulti();
}

// ---- 多因子 without a card: four answers, one keypad at a time --------------------------------------
const MULTI_STEPS = ["multi-id", "multi-birth", "multi-card", "multi-which", "multi-hh", "multi-issued"];
function renderMulti() {
  const step = state.multi.step;
  MULTI_STEPS.forEach((id) => { $(id).hidden = id !== step; });
  const n = {"multi-id": 1, "multi-birth": 2, "multi-card": 3}[step] || 4;
  $("multi-step").textContent = t("kiosk.multi.step", {n});
}
function multiNext(key, value, next) {
  state.multi.answers[key] = value;
  state.multi.step = next;
  renderIdentity();
  announce($(next).querySelector("p").textContent);
}

async function chooseMethod(method) {
  state.method = method; hideError();
  try { state.session = await api("POST", "/method", {method}); } catch (e) { onFatal(e); return; }
  renderIdentity();
  const prompt = [...$("pane-" + method).querySelectorAll("p")].find((p) => p.offsetParent !== null);
  if (prompt) announce(prompt.textContent);
  // Demo kiosk (simulated reader): a card method opens the demo card panel, so a first-time visitor sees where
  // the "card" comes from instead of waiting at "insert your card".
  const info = INFO[method];
  if (config.simulatedReader && info && info.card && !(state.card && state.card.kind === "card_inserted")) $("demo").open = true;
  if (method === "mobile" && !second()) startQr();  // no ID typed on a public screen: the app scans a QR
}

// ---- the phone app started by a QR code on screen (as Singpass's face-to-face flow) -----------------------
function stopQr() { clearInterval(timers.qr); state.qr = null; waitDone("qr"); }

async function startQr() {
  hideError();
  stopQr();
  try {
    const started = await api("POST", "/identity/qr");
    state.qr = {id: started.qr_id, left: started.seconds, expired: false};
    $("qr-image").src = "/api/identity/qr.svg?qr=" + encodeURIComponent(started.qr_id);
    waitFor("qr", started.seconds);
    timers.qr = setInterval(() => {
      if (!state.qr) return;
      state.qr.left -= 1;
      if (state.qr.left >= 0) $("qr-left").textContent = t("kiosk.qr.left", {seconds: state.qr.left});
    }, 1000);
    renderIdentity();
    announce(t("kiosk.qr.prompt"));
  } catch (e) { showError(e.body); }
}

// The kiosk heard from the broker: the app scanned the QR (now it is a push with its number), or it expired.
export function qrAnswered(event) {
  if (state.method !== "mobile" || !state.qr) return;
  if (event.state === "scanned") {
    stopQr();
    awaitPhone(event);
    return;
  }
  clearInterval(timers.qr); waitDone("qr");
  state.qr.expired = true;
  renderIdentity();
  announce(t("kiosk.qr.expired"));
}

async function identityStep(path, body) {
  hideError(); busy(true);
  try {
    afterIdentity(await api("POST", path, body));
  } catch (e) {
    const error = e.body && e.body.error;
    if (error === "broker.session.expired") { onFatal(e); return; }
    const locked = ["card.pin_locked", "card.bank_card.pin_locked", "broker.nhi_card.locked", "broker.identity.locked"];
    if (locked.includes(error)) {
      state.locked = [...state.locked, state.method]; state.method = "";  // offer every other way in
      renderIdentity();
    }
    showError(e.body);
  } finally {
    busy(false);
    SECRET_PADS.forEach((k) => { state.inputs[k] = ""; });
    state.inputs.otp = "";
    renderIdentity();
  }
}

export function afterIdentity(session) {
  state.session = session;
  state.method = ""; state.push = null;
  Object.keys(state.inputs).forEach((k) => { state.inputs[k] = ""; });
  resetSteps();
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
    const started = await api("POST", "/identity/mobile", {national_id: second() ? "" : state.inputs.nid});
    state.inputs.nid = "";  // off the screen once used
    awaitPhone(started);
  } catch (e) { showError(e.body); }
}

// A push is on the citizen's phone: its number on screen, a countdown, the idle clock held meanwhile.
function awaitPhone(started) {
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
}

async function sendOtp() {
  hideError();
  try {
    if (state.inputs.otpphone) state.otpPhone = state.inputs.otpphone;  // kept (not shown) for "send again"
    const sent = await api("POST", "/identity/otp/send", {national_id: second() ? "" : state.otpId, phone: state.otpPhone});
    state.otpStep = "code";
    state.inputs.otpid = ""; state.inputs.otpphone = "";  // off the screen once used
    renderIdentity();
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

// A national ID with a typo is caught here, on its own keypad, with the message the kiosk server would give.
function checkedId(typed) {
  if (validNationalId(typed)) return true;
  showError({message: Object.fromEntries(Object.entries(config.messages).map(([lang, texts]) => [lang, texts["kiosk.national_id.invalid"]]))});
  return false;
}

function resetSteps() {
  stopQr(); state.mobileTyped = false;
  state.otpStep = "id"; state.otpId = ""; state.otpPhone = "";
  state.multi = {step: "multi-id", answers: {}};
  $("nhi-number-entry").hidden = true; $("hh-entry").hidden = false;
  state.nhiNumber = "";
  resetBankCard();
}
export function resetIdentity() { resetSteps(); state.locked = []; }

function activeKeypad() {
  if (state.screen !== "identity" || !state.method) return null;
  const m = state.method;
  if (m === "moica") return $("moica-pin").hidden ? null : "pin";
  if (m === "mobile") return state.push || second() || !state.mobileTyped ? null : "nid";
  if (m === "nhi_household") return $("nhi-number-entry").hidden ? "hh" : "nhinum";
  if (m === "nhi_card") return $("nhicard-password").hidden ? null : "nhipw";
  if (m === "bank_card") return bankCardKeypad();
  if (m === "otp") return {id: second() ? "otpphone" : "otpid", phone: "otpphone", code: "otp"}[state.otpStep];
  if (m === "multi_factor") {
    const pad = {"multi-id": "multiid", "multi-birth": "multibirth", "multi-card": "multicard", "multi-hh": "multihh", "multi-issued": "multiissued"};
    return pad[state.multi.step] || null;
  }
  return null;
}

export function setUpIdentity({verified, fatal, keyPressed}) {
  afterVerified = verified; onFatal = fatal; onKey = keyPressed;
  resetSteps();
  registerRenderer(["identity"], renderIdentity);
  const multiSend = () => identityStep("/identity/multi_factor", state.multi.answers);
  const bankSubmit = setUpBankCard({redraw: renderIdentity, identityStep, checkedId, second});
  buildKeypads({
    root: $("screen-identity"),
    redraw: renderIdentity,
    active: activeKeypad,
    onKey: (target, key) => onKey(target, key),
    submit: {
      pin: () => { if (state.inputs.pin.length >= 4) identityStep("/identity/moica", {pin: state.inputs.pin}); },
      nhipw: () => { if (state.inputs.nhipw.length) identityStep("/identity/nhi_card", {password: state.inputs.nhipw}); },
      nid: () => { if (checkedId(state.inputs.nid)) startPush(); },
      nhinum: () => {
        state.nhiNumber = state.inputs.nhinum;  // the NHI card's number, for a citizen without the card
        $("nhi-number-entry").hidden = true; $("hh-entry").hidden = false; renderIdentity();
      },
      hh: () => identityStep("/identity/nhi", {household_number: state.inputs.hh, nhi_card_number: state.nhiNumber || ""}),
      otpid: () => {
        if (!checkedId(state.inputs.otpid)) return;
        state.otpId = state.inputs.otpid; state.otpStep = "phone"; hideError(); renderIdentity();
        announce(t("kiosk.phone.prompt"));
      },
      otpphone: () => sendOtp(),
      otp: () => identityStep("/identity/otp/verify", {otp: state.inputs.otp}),
      multiid: () => { if (checkedId(state.inputs.multiid)) multiNext("national_id", state.inputs.multiid, "multi-birth"); },
      multibirth: () => multiNext("birth_date", state.inputs.multibirth, "multi-card"),
      multicard: () => multiNext("nhi_card_number", state.inputs.multicard, "multi-which"),
      multihh: () => { state.multi.answers.household_number = state.inputs.multihh; multiSend(); },
      multiissued: () => { state.multi.answers.id_card_issue_date = state.inputs.multiissued; multiSend(); },
      ...bankSubmit,
    },
  });
  $("multi-household").onclick = () => multiNext("household_number", "", "multi-hh");
  $("multi-issue").onclick = () => multiNext("id_card_issue_date", "", "multi-issued");
  $("mobile-send").onclick = () => startPush();
  $("qr-renew").onclick = () => startQr();
  $("mobile-typed").onclick = async () => {  // the fallback: the typed ID, pushed to the phone
    if (state.qr) { try { await api("DELETE", "/identity/mobile"); } catch (e) { /* gone */ } }
    stopQr(); state.mobileTyped = true; hideError(); renderIdentity();
    announce(t("kiosk.national_id.prompt"));
  };
  $("nhi-no-card").onclick = () => { $("hh-entry").hidden = true; $("nhi-number-entry").hidden = false; renderIdentity(); };
  $("otp-resend").onclick = () => { state.inputs.otp = ""; sendOtp(); };
  $("identity-back").onclick = async () => {
    if (state.method) {
      if (state.method === "mobile" && (state.push || state.qr)) { try { await api("DELETE", "/identity/mobile"); } catch (e) { /* gone */ } }
      clearInterval(timers.push); state.method = ""; state.push = null; hideError(); waitDone("push"); waitDone("otp");
      resetSteps();
      try { state.session = await api("POST", "/method", {method: ""}); } catch (e) { /* shown later */ }
      renderIdentity();
    } else { show("terms"); }
  };
}
