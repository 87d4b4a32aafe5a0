"use strict";
// The enrollment page: shows the activation QR code (or, on request, a code
// for another authenticator app), follows the enrollment with a long-poll,
// shows the number to approve on an existing device when the server asks
// for an approval, and checks a code once the device is active.
const token = location.pathname.split("/").filter(Boolean).pop();
const $ = id => document.getElementById(id);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// The statuses in the order an enrollment goes through them: an answer that
// ranks below the one shown is older (a long-poll overtaken by a POST).
const rank = {pending: 0, expired: 1, approval_pending: 1, activated: 2, rejected: 3};
let current = null;
let otherApp = false; // the code was spent for another authenticator app

// call fetches a JSON answer; a refusal throws an Error with the server's
// message, code and HTTP status (no status: the server was not reached).
async function call(path, init) {
  let r;
  try { r = await fetch(path, init); } catch (e) { throw Object.assign(new Error("Cannot reach the server; check the network."), {status: 0}); }
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    const err = body && body.error ? body.error : {code: "", message: `The server answered HTTP ${r.status}; try again.`};
    throw Object.assign(new Error(err.message), {code: err.code, status: r.status});
  }
  return body;
}
const post = (path, body) => call(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})});
const clock = iso => new Date(iso).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});

function problem(message) {
  $("error").textContent = message || "";
  $("error").classList.toggle("hidden", !message);
}
const showOnly = (id, on) => $(id).classList.toggle("hidden", !on);

function show(st) {
  if (current && rank[st.status] < rank[current.status]) return;
  current = st;
  const s = st.status;
  const other = otherApp || st.kind === "otp";
  showOnly("loading", false);
  $("who").textContent = `Account: ${st.user}`;

  showOnly("scan", s === "pending" && !other);
  if (s === "pending") {
    $("expires").textContent = clock(st.expires_at);
    if (!$("qr").getAttribute("src")) $("qr").src = `/enroll/${token}/qr.png`;
  }
  // The other app's code stays on screen while it may still be scanned.
  const otpShown = other && (s === "approval_pending" || s === "activated");
  showOnly("otherApp", otpShown);
  if (otpShown && !$("otpauth").getAttribute("src")) $("otpauth").src = `/enroll/${token}/otpauth.png`;

  showOnly("approve", s === "approval_pending");
  if (s === "approval_pending") {
    $("number").textContent = st.number || "…";
    $("number").classList.toggle("long", (st.number || "").length > 3);
    $("approveUntil").textContent = st.number ? `It waits for your approval until ${clock(st.expires_at)}.` : "The approval request is on its way to your other device…";
  }
  showOnly("rejected", s === "rejected");
  showOnly("expired", s === "expired");
  showOnly("confirm", s === "activated");
  if (s === "activated") $("activated").textContent = other ? "Your authenticator app is added." : "Your app is activated.";
}

// follow long-polls the enrollment until a device is active or it ends;
// the server answers as soon as it changes. Network failures and a busy
// server are retried; any other refusal is shown and ends the page.
async function follow() {
  let failures = 0;
  while (current.status === "pending" || current.status === "approval_pending") {
    try {
      show(await call(`/v1/enrollments/${token}?wait=25s`));
      if (failures) problem("");
      failures = 0;
    } catch (e) {
      if (e.status && e.status !== 429 && e.status < 500) { problem(e.message); return; }
      failures++;
      problem(`${e.message} Trying again…`);
      await sleep(Math.min(30, 2 ** failures) * 1000);
    }
  }
}

async function start() {
  let st;
  try { st = await call(`/v1/enrollments/${token}?wait=0s`); } catch (e) {
    showOnly("loading", false);
    problem(e.message);
    return;
  }
  show(st);
  follow();
}

$("other").onclick = async () => {
  $("other").disabled = true;
  try {
    const st = await post(`/v1/enrollments/${token}/otpauth`, {});
    otherApp = true;
    problem("");
    show(st);
  } catch (e) {
    $("other").disabled = false;
    problem(e.message);
  }
};
$("otpauth").onerror = () => { showOnly("otpauth", false); showOnly("otpauthGone", true); };

$("renew").onclick = async () => {
  $("renew").disabled = true;
  try {
    location.href = (await post(`/v1/enrollments/${token}/renew`, {})).enroll_url;
  } catch (e) {
    $("expiredText").textContent = e.message;
    if (e.code === "enrollment_closed") showOnly("renew", false); else $("renew").disabled = false;
  }
};

$("confirmForm").onsubmit = async e => {
  e.preventDefault();
  const out = $("confirmResult");
  try {
    const body = await post(`/v1/enrollments/${token}/confirm`, {code: $("code").value.trim()});
    out.textContent = body.valid ? "That code is right: you are all set." : "That code is not right; type the code now shown in the app.";
    out.className = "status " + (body.valid ? "ok" : "bad");
  } catch (err) {
    out.textContent = err.message;
    out.className = "status bad";
  }
};

start();
