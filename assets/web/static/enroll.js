"use strict";
// The enrollment page: shows the activation QR code (or, on request, a code
// for another authenticator app), follows the enrollment live, shows the
// number to approve on an existing device when the server asks for an
// approval, and checks a code once the device is active.
//
// It says only what the server said: every state shown is the last answer
// of GET /v1/enrollments/{token}. It never stops following while the
// enrollment can still change: a lost connection (the server restarting, the
// network dropping, a long-poll that never answers) is retried with a
// growing, jittered back-off, and the page says "Reconnecting…" meanwhile.
const token = location.pathname.split("/").filter(Boolean).pop();
const $ = id => document.getElementById(id);

// hold is how long the server may hold a long-poll; a call that has not
// answered by hold + grace is given up as lost (a dropped connection does
// not always fail by itself).
const hold = 25, grace = 10;
// The back-off after the n-th failure in a row: up to 1, 2, 4 … 30 s, each
// between half that and that (jitter: pages that lost the same server do not
// all come back at once).
const backoff = n => { const top = Math.min(30, 2 ** (n - 1)) * 1000; return top / 2 + Math.random() * top / 2; };

// The statuses in the order an enrollment goes through them: an answer that
// ranks below the one shown is older (a long-poll overtaken by a POST).
const rank = st => ({pending: 0, expired: 1, approval_pending: 1, activated: 2, rejected: 3}[st.status] ?? 0) + (st.confirmed ? 0.5 : 0);
let current = null;
let failures = 0;
let mode = "app"; // "phone" while the user sets up text messages or calls instead
let proof = null; // the phone check under way: {proof_id, method, sent_to, expires_at}
let wake = null; // ends the back-off's wait early (Try now, back online)

// sentence makes a server's message a sentence: capital first, a full stop last.
const sentence = s => !s ? s : s[0].toUpperCase() + s.slice(1) + (/[.!?…]$/.test(s) ? "" : ".");

// call fetches a JSON answer; a refusal throws an Error with the server's
// message, code and HTTP status (status 0: the server was not reached, did
// not answer within timeout seconds, or the device went offline).
const inflight = new Set(); // the calls under way, cut when the device goes offline
async function call(path, init, timeout) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort("timeout"), timeout * 1000);
  inflight.add(abort);
  let r, body = null;
  try {
    r = await fetch(path, {...init, signal: abort.signal});
    try { body = await r.json(); } catch (e) { body = null; }
  } catch (e) {
    const why = {timeout: "The server did not answer in time.", offline: "This device is offline."}[abort.signal.reason] || "Cannot reach the server.";
    throw Object.assign(new Error(why), {status: 0});
  } finally {
    clearTimeout(timer);
    inflight.delete(abort);
  }
  if (!r.ok) {
    const err = body && body.error ? body.error : {code: "", message: `The server answered HTTP ${r.status}.`};
    throw Object.assign(new Error(sentence(err.message)), {code: err.code, status: r.status});
  }
  return body;
}
const post = (path, body) => call(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})}, grace);
const status = wait => call(`/v1/enrollments/${token}?wait=${wait}s`, {}, wait + grace);
// retryable: the server was not reached, is busy, or failed for now.
const retryable = e => !e.status || e.status === 408 || e.status === 429 || e.status >= 500;
const clock = iso => new Date(iso).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
const showOnly = (id, on) => $(id).classList.toggle("hidden", !on);
const following = () => !current || current.status === "pending" || current.status === "approval_pending";

// live says what the page waits for (cls "waiting"), that it lost the
// server ("reconnecting"), or nothing once the enrollment ended.
function live(text, cls) {
  $("live").textContent = text;
  $("live").className = "live " + cls;
  showOnly("live", !!text);
  showOnly("retry", cls === "reconnecting");
}

// announce says a change of state once, for screen readers.
let announced = "";
function announce(text) {
  if (text === announced) return;
  announced = text;
  $("announce").textContent = text;
}

function show(st) {
  if (current && rank(st) < rank(current)) return;
  current = st;
  const s = st.status;
  const other = st.kind === "otp";
  $("who").textContent = `Account: ${st.user}`;
  // A phone method spends the link only with the code sent to it typed
  // back: activated is done.
  const done = s === "activated" && (st.confirmed || st.kind === "phone");

  showOnly("scan", s === "pending" && mode === "app");
  showOnly("phoneOffer", s === "pending" && !!st.phone_offered);
  showOnly("phoneStep", s === "pending" && mode === "phone");
  if (s === "pending") {
    $("expires").textContent = clock(st.expires_at);
    if (!$("qr").getAttribute("src")) $("qr").src = `/enroll/${token}/qr.png`;
  }
  // Another app's code stays on screen until a code of it is accepted.
  const otpShown = other && !done && (s === "approval_pending" || s === "activated");
  showOnly("otherApp", otpShown);
  if (otpShown && !$("otpauth").getAttribute("src")) $("otpauth").src = `/enroll/${token}/otpauth.png`;

  showOnly("approve", s === "approval_pending");
  if (s === "approval_pending") {
    $("number").textContent = st.number || "…";
    $("number").classList.toggle("long", (st.number || "").length > 3);
    $("approveUntil").textContent = st.number ? `The request waits for your approval until ${clock(st.expires_at)}.` : "The approval request is on its way to your other device…";
  }

  // Active: the Countersign app took the code (and was approved, where it
  // needed to be); another app only shows it holds its code by typing one.
  showOnly("confirm", s === "activated" && !done);
  if (s === "activated" && !done) {
    $("activated").textContent = other ? "2. Type a code to finish adding your authenticator app" : "Your Countersign app is activated.";
    $("activated").className = other ? "" : "status ok";
    $("codeLabel").textContent = other ? "The six-digit code your authenticator app now shows for this account" :
      "2. To check that it works, type the six-digit code your app shows for this account";
  }
  showOnly("done", done);
  if (done) $("doneText").textContent = st.kind === "phone" ? phoneDone() : other ? "Done: your authenticator app is added." : "Done: your Countersign app is activated and checked.";
  showOnly("rejected", s === "rejected");
  showOnly("expired", s === "expired");
  if (s === "expired") {
    showOnly("renew", !!st.renewable);
    $("expiredText").textContent = st.renewable ? "You already have a device: get a new code here, and approve the new device on that one." :
      "It can no longer be renewed here: sign in to the application again, or ask your administrator, for a new link.";
  }
  showOnly("failed", false);

  if (s === "pending") live(mode === "app" ? "Waiting for your app to scan the code. This page follows it live." : "", "waiting");
  else if (s === "approval_pending") live("Waiting for your approval on your other device.", "waiting");
  else live("", "");
  announce({pending: "Waiting for your app to scan the code.", approval_pending: `Waiting for approval on your other device: type ${st.number || "the number shown"} there.`,
    activated: done ? $("doneText").textContent : $("activated").textContent, rejected: $("rejectedText").textContent, expired: "This activation code has expired."}[s] || s);
}

// failed shows a refusal that no retry will change, and stops.
function failed(message) {
  current = {status: "failed"};
  for (const id of ["scan", "phoneStep", "otherApp", "approve", "confirm", "done", "rejected", "expired"]) showOnly(id, false);
  $("failedText").textContent = message;
  showOnly("failed", true);
  live("", "");
  announce(message);
}

// pause waits ms, saying when the next try is; wake ends it early.
function pause(ms, why) {
  return new Promise(resolve => {
    const until = Date.now() + ms;
    const tick = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      live(`${why} Reconnecting… (next try in ${left} s)`, "reconnecting");
    };
    tick();
    const ticker = setInterval(tick, 1000);
    const end = () => { clearInterval(ticker); clearTimeout(timer); wake = null; resolve(); };
    const timer = setTimeout(end, ms);
    wake = end;
  });
}

// follow long-polls the enrollment while it can change; the server answers
// as soon as it does. Failures that may pass are retried for as long as the
// page is open; a refusal that will not pass is shown and ends the page.
// After a failure the first call asks for an answer at once (wait=0s), so
// the page stops saying "reconnecting" as soon as the server is back.
async function follow() {
  while (following()) {
    try {
      if (failures) live("Reconnecting… (trying now)", "reconnecting");
      show(await status(current && !failures ? hold : 0));
      failures = 0;
    } catch (e) {
      if (!retryable(e)) { failed(e.message); return; }
      failures++;
      announce("Lost the connection to the server; reconnecting.");
      await pause(backoff(failures), e.message);
    }
  }
}

// The phone instead of an app: a code sent to it, typed back, proves it.
const how = method => method === "voice" ? "phone call" : "text message";
const phoneDone = () => proof ? `Done: sign-ins will send a code to ${proof.sent_to} by ${how(proof.method)}.` : "Done: sign-ins will send a code to your phone.";

function phoneSays(text, cls) {
  $("phoneResult").textContent = text;
  $("phoneResult").className = "status " + (cls || "");
}

// phoneStep shows the number form (again) or, once a code went out, the code form.
function phoneStep(sent) {
  showOnly("phoneForm", !sent);
  showOnly("phoneCodeForm", sent);
  (sent ? $("phoneCode") : $("phone")).focus();
}

$("usePhone").onclick = () => {
  mode = "phone";
  show(current);
  phoneStep(false);
};
$("backToApp").onclick = () => {
  mode = "app";
  phoneSays("");
  show(current);
  $("usePhone").focus();
};
$("phoneAgain").onclick = () => { proof = null; phoneSays(""); phoneStep(false); };

$("phoneForm").onsubmit = async e => {
  e.preventDefault();
  phoneSays("");
  $("sendCode").disabled = true;
  const method = document.querySelector('input[name="method"]:checked').value;
  try {
    proof = await post(`/v1/enrollments/${token}/phone`, {phone: $("phone").value.trim(), method});
    $("phoneSent").textContent = proof.method === "voice" ? `We are calling ${proof.sent_to}: the call reads out a code. It works until ${clock(proof.expires_at)}.` :
      `We sent a text message with a code to ${proof.sent_to}. It works until ${clock(proof.expires_at)}.`;
    $("phoneCode").value = "";
    phoneStep(true);
  } catch (err) {
    phoneSays(err.message, "bad");
  } finally {
    $("sendCode").disabled = false;
  }
};

$("phoneCodeForm").onsubmit = async e => {
  e.preventDefault();
  phoneSays("");
  $("checkPhone").disabled = true;
  try {
    const st = await post(`/v1/enrollments/${token}/phone/confirm`, {proof_id: proof.proof_id, code: $("phoneCode").value.trim()});
    showRecoveryCodes(st.recovery_codes);
    show(st);
  } catch (err) {
    phoneSays(err.message, "bad");
    if (err.code === "wrong_code") $("phoneCode").select();
    else if (err.code === "too_many_attempts" || err.code === "not_pending" || err.code === "not_found") { proof = null; phoneStep(false); }
  } finally {
    $("checkPhone").disabled = false;
  }
};

$("retry").onclick = () => { if (wake) wake(); };
// Back online: try at once. Gone offline: the long-poll under way will not
// answer; end it, and say so.
window.addEventListener("online", () => { if (wake) wake(); });
window.addEventListener("offline", () => { for (const a of inflight) a.abort("offline"); });

$("other").onclick = async () => {
  $("other").disabled = true;
  try {
    show(await post(`/v1/enrollments/${token}/otpauth`, {}));
  } catch (e) {
    $("other").disabled = false;
    if (retryable(e)) live(`${e.message} Try again.`, "reconnecting"); else failed(e.message);
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

// showRecoveryCodes lists the recovery codes the server gives once, at the
// end of a first enrollment.
function showRecoveryCodes(codes) {
  if (!codes || codes.length === 0) return;
  const list = $("recoveryCodes");
  list.replaceChildren(...codes.map(c => {
    const li = document.createElement("li");
    li.textContent = c;
    return li;
  }));
  showOnly("recovery", true);
}

$("confirmForm").onsubmit = async e => {
  e.preventDefault();
  const out = $("confirmResult");
  $("check").disabled = true;
  try {
    const body = await post(`/v1/enrollments/${token}/confirm`, {code: $("code").value.trim()});
    if (body.valid) {
      // Done only once the server says so.
      out.textContent = "That code is right.";
      out.className = "status ok";
      showRecoveryCodes(body.recovery_codes);
      show(await status(0));
    } else {
      out.textContent = "That code is not right; type the code now shown in the app.";
      out.className = "status bad";
      $("code").select();
    }
  } catch (err) {
    out.textContent = err.message;
    out.className = "status bad";
  } finally {
    $("check").disabled = false;
  }
};

follow();
