const token = location.pathname.split("/").filter(Boolean).pop();
const $ = id => document.getElementById(id);
async function poll(wait) {
  const r = await fetch(`/v1/enrollments/${token}?wait=${wait}`);
  const body = await r.json();
  if (!r.ok) { $("status").textContent = body.error.message; $("status").className = "status bad"; return null; }
  return body;
}
function show(st) {
  $("who").textContent = `Account: ${st.user}`;
  $("expires").textContent = new Date(st.expires_at).toLocaleTimeString();
  $("scan").classList.toggle("hidden", st.status !== "pending");
  $("expired").classList.toggle("hidden", st.status !== "expired");
  $("confirm").classList.toggle("hidden", st.status !== "activated");
}
async function run() {
  let st = await poll("0s");
  if (!st) return;
  show(st);
  if (st.status === "pending") $("qr").src = `/enroll/${token}/qr.png`;
  while (st && st.status === "pending") {
    st = await poll("25s");
    if (st) show(st);
  }
}
$("other").onclick = e => {
  e.preventDefault();
  $("otpauth").src = `/enroll/${token}/otpauth.png`;
  $("otpauth").classList.remove("hidden");
  $("status").textContent = "Scan the second code with your other app, then type one of its codes below.";
  $("confirm").classList.remove("hidden");
};
$("renew").onclick = async () => {
  const r = await fetch(`/v1/enrollments/${token}/renew`, {method: "POST", headers: {"Content-Type": "application/json"}});
  const body = await r.json();
  if (r.ok) location.href = body.enroll_url; else $("expiredText").textContent = body.error.message;
};
$("confirmForm").onsubmit = async e => {
  e.preventDefault();
  const r = await fetch(`/v1/enrollments/${token}/confirm`, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({code: $("code").value})});
  const body = await r.json();
  const out = $("confirmResult");
  if (!r.ok) { out.textContent = body.error.message; out.className = "status bad"; return; }
  out.textContent = body.valid ? "That code is right: you are all set." : "That code is not right; type the code now shown in the app.";
  out.className = "status " + (body.valid ? "ok" : "bad");
};
run();
