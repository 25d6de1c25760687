// The technician's admin page: device tests (the custom header cannot be sent cross-site).
document.querySelectorAll("button.action").forEach((b) => { b.onclick = async () => {
  const out = document.getElementById("action-result"); out.textContent = "…";
  const r = await fetch("/admin/action/" + b.dataset.action, {method: "POST", headers: {"X-Requested-With": "admin"}});
  out.textContent = JSON.stringify(await r.json(), null, 2);
}; });
