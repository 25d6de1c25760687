// The sandbox's phone simulator: the mobile certificate app of one citizen. It scans a kiosk's QR code (a picture,
// the pasted text, or the kiosk's link opened here), lists pending pushes with the kiosk and service they come
// from, and answers them by number matching: three numbers, only the one on the kiosk's screen approves.
(function () {
  "use strict";
  const id = document.body.dataset.nationalId;
  const list = document.getElementById("pushes");
  const empty = document.getElementById("empty");
  const result = document.getElementById("result");
  const scanResult = document.getElementById("scan-result");
  const OUTCOMES = {
    approved: "已核准 / Approved",
    denied: "已拒絕 / Declined",
    wrong_number: "數字與自助機畫面不符，這次驗證未通過。 / Not the number on the kiosk: this check failed.",
    gone: "這個驗證已結束。 / This request has ended.",
  };
  const SCANS = {
    push: "已掃描，請選擇自助機畫面上的數字並核准。 / Scanned: pick the number the kiosk shows, then approve.",
    expired: "QR 碼已過期，請在自助機重新產生。 / The QR code has expired: make a new one at the kiosk.",
    used: "這個 QR 碼已使用過。 / This QR code was already used.",
    unknown: "這不是自助機的登入 QR 碼。 / This is not a kiosk sign-in QR code.",
    unreadable: "讀不到 QR 碼，請再試一次。 / No QR code could be read: try again.",
    refused: "無法以此 QR 碼登入，請改用自助機上的其他方式。 / This QR code cannot sign you in: use another way at the kiosk.",
  };
  let picked = {};
  async function answer(pushId, action) {
    const r = await fetch(`/phone/${id}/pushes/${pushId}`, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({action: action, choice: picked[pushId] || ""})});
    const body = await r.json();
    result.textContent = OUTCOMES[body.state] || body.state;
    refresh();
  }
  async function scan(body, headers) {
    scanResult.textContent = "";
    try {
      const r = await fetch(`/phone/${id}/scan`, {method: "POST", body: body, headers: headers || {}});
      const answer = await r.json();
      scanResult.textContent = SCANS[answer.state] || answer.state;
      refresh();
    } catch (e) { scanResult.textContent = SCANS.unreadable; }
  }
  document.getElementById("scan-image").onsubmit = (event) => {
    event.preventDefault();
    scan(new FormData(event.target));
  };
  document.getElementById("scan-text").onsubmit = (event) => {
    event.preventDefault();
    scan(JSON.stringify({text: document.getElementById("scan-paste").value}), {"Content-Type": "application/json"});
  };
  function render(pushes) {
    empty.hidden = pushes.length > 0;
    list.replaceChildren(...pushes.map((p) => {
      const box = document.createElement("section");
      box.className = "push"; box.dataset.pushId = p.push_id;
      const title = document.createElement("h2");
      title.textContent = `${p.service["zh-TW"] || ""} / ${p.service.en || ""}`;
      const where = document.createElement("p");
      where.className = "kiosk";
      where.textContent = `自助機 Kiosk: ${p.kiosk || ""}`;
      const hint = document.createElement("p");
      hint.textContent = `請選擇自助機上顯示的數字（${p.seconds_left} 秒內）。Pick the number the kiosk shows.`;
      const choices = document.createElement("div"); choices.className = "choices";
      p.choices.forEach((n) => {
        const b = document.createElement("button"); b.textContent = n; b.dataset.choice = n;
        if (picked[p.push_id] === n) b.classList.add("picked");
        b.onclick = () => { picked[p.push_id] = n; render(pushes); };
        choices.appendChild(b);
      });
      const actions = document.createElement("div"); actions.className = "actions";
      const ok = document.createElement("button"); ok.className = "approve"; ok.textContent = "核准 Approve";
      ok.onclick = () => answer(p.push_id, "approve");
      const no = document.createElement("button"); no.className = "deny"; no.textContent = "拒絕 Deny";
      no.onclick = () => answer(p.push_id, "deny");
      actions.append(ok, no);
      box.append(title, where, hint, choices, actions);
      return box;
    }));
  }
  async function refresh() {
    try { const r = await fetch(`/phone/${id}/pushes`); render((await r.json()).pushes); } catch (e) {}
  }
  const opened = document.body.dataset.scan;  // a kiosk's link opened on this phone
  if (opened) scan(JSON.stringify({text: opened}), {"Content-Type": "application/json"});
  refresh(); setInterval(refresh, 1000);
})();
