// The sandbox's phone simulator: pending pushes for one citizen, number matching, approve or deny.
(function () {
  "use strict";
  const id = document.body.dataset.nationalId;
  const list = document.getElementById("pushes");
  const empty = document.getElementById("empty");
  const result = document.getElementById("result");
  let picked = {};
  async function answer(pushId, action) {
    const r = await fetch(`/phone/${id}/pushes/${pushId}`, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({action: action, choice: picked[pushId] || ""})});
    const body = await r.json();
    result.textContent = body.state === "approved" ? "已核准 / Approved" : "已拒絕 / Declined";
    refresh();
  }
  function render(pushes) {
    empty.hidden = pushes.length > 0;
    list.replaceChildren(...pushes.map((p) => {
      const box = document.createElement("section");
      box.className = "push"; box.dataset.pushId = p.push_id;
      const title = document.createElement("h2");
      title.textContent = `${p.service["zh-TW"] || ""} / ${p.service.en || ""}`;
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
      box.append(title, hint, choices, actions);
      return box;
    }));
  }
  async function refresh() {
    try { const r = await fetch(`/phone/${id}/pushes`); render((await r.json()).pushes); } catch (e) {}
  }
  refresh(); setInterval(refresh, 1000);
})();
