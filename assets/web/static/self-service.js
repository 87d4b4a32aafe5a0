"use strict";
// The self-service page: sign in with a one-time code, list the devices,
// add one (it will wait for an approval on an existing device), remove one
// (the last one only once it approves its own removal, with the number).
const $ = id => document.getElementById(id);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const clock = iso => new Date(iso).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
const showOnly = (id, on) => $(id).classList.toggle("hidden", !on);
const kinds = {app: "Countersign app", otp: "authenticator app"};
const states = {active: "active", pending: "waiting for approval", revoked: "removed"};

let token = "";
let devices = [];
let waiting = false; // a removal waits for an approval: no other change meanwhile

// sentence makes a server's message a sentence: capital first, a full stop last.
const sentence = s => !s ? s : s[0].toUpperCase() + s.slice(1) + (/[.!?…]$/.test(s) ? "" : ".");

// api calls the self-service API; a refusal throws an Error with the
// server's message, code and HTTP status (status 0: the server was not
// reached, or did not answer within timeout seconds).
async function api(method, path, body, timeout = 10) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout * 1000);
  const init = {method, headers: {}, signal: abort.signal};
  if (token) init.headers.Authorization = "Bearer " + token;
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body || {});
  }
  let r, data = null;
  try {
    r = await fetch(path, init);
    try { data = await r.json(); } catch (e) { data = null; }
  } catch (e) {
    throw Object.assign(new Error(abort.signal.aborted ? "The server did not answer in time." : "Cannot reach the server."), {status: 0});
  } finally {
    clearTimeout(timer);
  }
  if (!r.ok) {
    const err = data && data.error ? data.error : {code: "", message: `The server answered HTTP ${r.status}; try again.`};
    throw Object.assign(new Error(sentence(err.message)), {code: err.code, status: r.status});
  }
  return {status: r.status, data};
}

// hold is how long the server may hold a long-poll.
const hold = 25;
// retryable: the server was not reached, is busy, or failed for now.
const retryable = e => !e.status || e.status === 408 || e.status === 429 || e.status >= 500;
// The back-off after the n-th failure in a row: up to 1, 2, 4 … 30 s, each
// between half that and that.
const backoff = n => { const top = Math.min(30, 2 ** (n - 1)) * 1000; return top / 2 + Math.random() * top / 2; };

// poll long-polls path until done(answer) is true, the session ends or a
// refusal will not pass (both thrown); it says "Reconnecting…" in the live
// line while the server cannot be reached, and calls seen with each answer.
async function poll(path, done, seen) {
  let failures = 0;
  for (;;) {
    try {
      const st = (await api("GET", `${path}?wait=${failures ? 0 : hold}s`, null, hold + 10)).data;
      if (failures) live("");
      failures = 0;
      if (seen) seen(st);
      if (done(st)) return st;
    } catch (e) {
      if (!retryable(e)) throw e;
      failures++;
      const ms = backoff(failures);
      live(`${e.message} Reconnecting… (next try in ${Math.ceil(ms / 1000)} s)`);
      await sleep(ms);
    }
  }
}

// live says that the page lost the server and tries again ("" hides it).
function live(text) {
  $("live").textContent = text;
  showOnly("live", !!text);
}

function say(text, cls, note) {
  $("result").textContent = text || "";
  $("result").className = "status " + (cls || "");
  $("note").textContent = note || "";
}

// signedOut goes back to the sign-in form (the session ended or expired).
function signedOut(message, cls) {
  token = "";
  following = "";
  devices = [];
  showOnly("manage", false);
  showOnly("methods", false);
  showOnly("signin", true);
  $("signinResult").textContent = message;
  $("signinResult").className = "status " + (cls || "bad");
}

// failed shows a refusal; one that ends the session signs out.
function failed(e) {
  if (e.code === "unauthorized") signedOut(e.message); else say(e.message, "bad");
}

function render() {
  const list = $("devices");
  list.replaceChildren();
  for (const d of devices) {
    const li = document.createElement("li");
    li.className = "device";
    li.dataset.id = d.id;
    li.dataset.state = d.state;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = d.name;
    const state = document.createElement("span");
    state.className = "state " + d.state;
    state.textContent = states[d.state] || d.state;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${kinds[d.kind] || d.kind}, added ${new Date(d.created).toLocaleDateString()}`;
    li.append(name, " ", state, meta);
    if (token && !waiting && d.state !== "revoked") li.append(actions(d));
    list.append(li);
  }
  if (!devices.length) list.textContent = "No devices.";
  showOnly("add", !!token && !waiting);
  if (!token) showOnly("methods", false);
}

// actions is a device's remove button, which asks again before removing.
function actions(d) {
  const box = document.createElement("div");
  box.className = "actions";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = d.state === "pending" ? "Turn away" : "Remove (lost or replaced)";
  remove.setAttribute("aria-label", `${remove.textContent}: ${d.name}`);
  remove.onclick = () => {
    const question = document.createElement("span");
    question.textContent = d.state === "pending" ? `Turn “${d.name}” away? It will not join your account. ` :
      `Remove “${d.name}”? It will no longer get sign-in requests, and its codes stop working. `;
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "danger";
    yes.textContent = d.state === "pending" ? "Yes, turn it away" : "Yes, remove it";
    yes.onclick = () => { yes.disabled = true; removeDevice(d); };
    const no = document.createElement("button");
    no.type = "button";
    no.className = "secondary";
    no.textContent = "Cancel";
    no.onclick = () => {
      const again = actions(d);
      box.replaceWith(again);
      again.querySelector("button").focus();
    };
    box.replaceChildren(question, yes, " ", no);
    no.focus(); // the keyboard stays on the question, on its safe answer
  };
  box.append(remove);
  return box;
}

async function refresh() {
  devices = (await api("GET", "/v1/self-service/devices")).data;
  render();
  renderMethods((await api("GET", "/v1/self-service/methods")).data);
}

// The ways the user signs in: the app (push), text messages, calls; one is
// the default, which a request with method auto uses.
const tail = phone => "•••• " + (phone || "").slice(-4);
// phoneAvailable: the server has a telephony gateway, so a phone can be added.
let phoneAvailable = false;

function renderMethods(m) {
  phoneAvailable = !!m.phone_available;
  showOnly("addPhone", phoneAvailable && $("phoneForm").classList.contains("hidden") && $("phoneCodeForm").classList.contains("hidden"));
  const list = $("methodList");
  list.replaceChildren();
  const items = [["push", m.push, "Countersign app (push)"], ["sms", m.sms, `Text message to ${tail(m.phone)}`], ["voice", m.voice, `Phone call to ${tail(m.phone)}`]];
  for (const [method, has, label] of items) {
    if (!has) continue;
    const li = document.createElement("li");
    li.dataset.method = method;
    li.dataset.default = String(m.default === method);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = label;
    li.append(name);
    if (m.default === method) {
      const badge = document.createElement("span");
      badge.className = "state active";
      badge.textContent = "default";
      li.append(badge);
    } else {
      li.append(methodButton("Make default", `Make ${label} the default`, () => api("POST", "/v1/self-service/methods/default", {method})));
    }
    if (method !== "push") li.append(methodButton("Remove", `Remove ${label}`, () => api("POST", `/v1/self-service/methods/${method}/remove`, {})));
    list.append(li);
  }
  if (!list.children.length) list.textContent = "No way to sign in: add a device or a phone.";
  showOnly("methods", !!token);
}

// methodButton changes the methods with change, and shows what it answers.
function methodButton(text, label, change) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "secondary";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.onclick = async () => {
    b.disabled = true;
    phoneSays("");
    try {
      renderMethods((await change()).data);
    } catch (e) {
      if (e.code === "unauthorized") failed(e); else phoneSays(e.message, "bad");
      b.disabled = false;
    }
  };
  return b;
}

// Adding a phone: a code sent to it, typed back, proves the user holds it;
// then one of the user's devices approves (with the number shown here).
let proof = null;
function phoneSays(text, cls) {
  $("phoneResult").textContent = text || "";
  $("phoneResult").className = "status " + (cls || "");
}
function phoneStep(step) { // "", "number" or "code"
  showOnly("addPhone", step === "" && phoneAvailable);
  showOnly("phoneForm", step === "number");
  showOnly("phoneCodeForm", step === "code");
  if (step === "number") $("phone").focus();
  if (step === "code") $("phoneCode").focus();
}
$("addPhone").onclick = () => { phoneSays(""); phoneStep("number"); };
$("cancelPhone").onclick = () => { phoneSays(""); phoneStep(""); $("addPhone").focus(); };

$("phoneForm").onsubmit = async e => {
  e.preventDefault();
  phoneSays("");
  $("sendCode").disabled = true;
  const method = document.querySelector('input[name="method"]:checked').value;
  try {
    proof = (await api("POST", "/v1/self-service/phone", {phone: $("phone").value.trim(), method})).data;
    $("phoneSent").textContent = proof.method === "voice" ? `We are calling ${proof.sent_to}: the call reads out a code. It works until ${clock(proof.expires_at)}.` :
      `We sent a text message with a code to ${proof.sent_to}. It works until ${clock(proof.expires_at)}.`;
    $("phoneCode").value = "";
    phoneStep("code");
  } catch (err) {
    if (err.code === "unauthorized") failed(err); else phoneSays(err.message, "bad");
  } finally {
    $("sendCode").disabled = false;
  }
};

$("phoneCodeForm").onsubmit = async e => {
  e.preventDefault();
  phoneSays("");
  $("checkPhone").disabled = true;
  try {
    const answer = await api("POST", "/v1/self-service/phone/confirm", {proof_id: proof.proof_id, code: $("phoneCode").value.trim()});
    if (answer.status === 202) {
      phoneStep("");
      showOnly("addPhone", false);
      await approvePhone(answer.data);
    } else {
      phoneStep("");
      renderMethods(answer.data);
      phoneSays(`The phone ${proof.sent_to} was added.`, "ok");
    }
  } catch (err) {
    if (err.code === "unauthorized") { failed(err); return; }
    phoneSays(err.message, "bad");
    if (err.code === "wrong_code") $("phoneCode").select();
    else if (err.code !== "approval_pending") phoneStep("number");
  } finally {
    $("checkPhone").disabled = false;
  }
};

// approvePhone shows the number to approve the new phone with on a device,
// follows the request, and sets the phone once it is approved.
async function approvePhone(a) {
  waiting = true;
  render();
  $("approvalText").textContent = "Approve adding this phone on one of your devices: open Countersign there, and type this number";
  $("number").textContent = a.number;
  $("number").classList.toggle("long", a.number.length > 3);
  $("approvalUntil").textContent = `The request waits until ${clock(a.expires_at)}.`;
  showOnly("approval", true);
  try {
    const st = await poll(`/v1/self-service/requests/${encodeURIComponent(a.request_id)}`, x => x.status !== "pending");
    if (st.status !== "approved") {
      phoneSays(`Adding the phone was not approved (${st.status}): it was not added.`, "bad");
      return;
    }
    renderMethods((await api("POST", "/v1/self-service/phone/confirm", {proof_id: proof.proof_id, request_id: a.request_id})).data);
    phoneSays(`The phone ${proof.sent_to} was added.`, "ok");
  } catch (e) {
    if (e.code === "unauthorized") failed(e); else phoneSays(e.message, "bad");
  } finally {
    waiting = false;
    showOnly("approval", false);
    live("");
    if (token) { render(); showOnly("addPhone", phoneAvailable); }
  }
}

async function removeDevice(d) {
  say("");
  let answer;
  try {
    answer = await api("POST", `/v1/self-service/devices/${encodeURIComponent(d.id)}/revoke`, {});
  } catch (e) {
    failed(e);
    render();
    return;
  }
  if (answer.status === 202) {
    await awaitApproval(d, answer.data);
    return;
  }
  await removed(d, `“${d.name}” was removed.`);
}

// removed shows the list once device d is gone. When d's code opened this
// session, the session ended with it: the list stays, without actions.
async function removed(d, message) {
  try {
    await refresh();
    say(message, "ok");
  } catch (e) {
    if (e.code !== "unauthorized") { failed(e); return; }
    devices = devices.map(x => x.id === d.id ? {...x, state: "revoked"} : x);
    if (devices.some(x => x.state === "active")) {
      signedOut(`${message} This session was opened with its code: sign in again with a code from another device to do more.`, "ok");
      return;
    }
    token = "";
    render();
    $("account").textContent = "You are signed out: this session was opened with a code of that device.";
    say(message, "ok", "You have no device left. To add one, sign in to your application again, or ask your administrator for an enrollment link.");
  }
}

// awaitApproval shows the number to type on device d to approve its
// removal, and long-polls the request until it is decided.
async function awaitApproval(d, a) {
  waiting = true;
  render();
  $("approvalText").textContent = `Approve the removal on that device (“${d.name}”): open Countersign there, and type this number`;
  $("number").textContent = a.number;
  $("number").classList.toggle("long", a.number.length > 3);
  $("approvalUntil").textContent = `The request waits until ${clock(a.expires_at)}.`;
  showOnly("approval", true);
  let st;
  try {
    st = await poll(`/v1/self-service/requests/${encodeURIComponent(a.request_id)}`, x => x.status !== "pending");
  } catch (e) {
    waiting = false;
    showOnly("approval", false);
    live("");
    failed(e);
    render();
    return;
  }
  waiting = false;
  showOnly("approval", false);
  switch (st.status) {
  case "approved":
    await removed(d, `“${d.name}” was removed: you approved it on the device.`);
    return;
  case "denied":
    say(`The removal was denied on “${d.name}”: it was not removed.`, "bad");
    break;
  case "fraud":
    signedOut(`The removal was reported as fraud on “${d.name}”: your account is blocked until an administrator unblocks it.`);
    return;
  case "expired":
    say(`The removal was not approved in time: “${d.name}” was not removed.`, "bad");
    break;
  default:
    say(`The removal ended: ${st.status}.`, "bad");
  }
  try { await refresh(); } catch (e) { failed(e); }
}

$("signin").onsubmit = async e => {
  e.preventDefault();
  $("signinResult").textContent = "";
  $("signinResult").className = "status bad";
  $("signinButton").disabled = true;
  try {
    const user = $("user").value.trim();
    token = (await api("POST", "/v1/self-service/sign-in", {user, code: $("code").value.trim()})).data.token;
    $("code").value = "";
    $("account").textContent = `Signed in as ${user}. This session lasts 10 minutes.`;
    say("");
    showOnly("added", false);
    showOnly("signin", false);
    showOnly("manage", true);
    await refresh();
  } catch (err) {
    if (token) failed(err); else $("signinResult").textContent = err.message;
  } finally {
    $("signinButton").disabled = false;
  }
};

// following is the enrollment link the page follows after "Add a device".
let following = "";

$("add").onclick = async () => {
  say("");
  try {
    const url = (await api("POST", "/v1/self-service/enroll", {})).data.enroll_url;
    $("enrollLink").href = url;
    $("enrollLink").textContent = url;
    $("addedStatus").textContent = "Waiting for the new device to scan the code on that page…";
    $("addedStatus").className = "status";
    showOnly("added", true);
    followNew(url);
  } catch (e) {
    failed(e);
  }
};

// What the page says of the new device's enrollment.
const newDevice = {
  approval_pending: st => [`The new device waits for your approval: on one of your devices, approve the request with the number ${st.number || "the new device shows"}.`, ""],
  activated: () => ["The new device was added.", "ok"],
  rejected: () => ["The new device was not added: its approval was denied or ran out.", "bad"],
  expired: () => ["The link expired before a device used it; add a device again for a new one.", "bad"],
};

// followNew follows the new device's enrollment: the list shows the device
// as soon as it joins (waiting for approval), and again once approved.
async function followNew(url) {
  following = url;
  const enrollment = url.split("/").pop();
  let last = "pending";
  const seen = st => {
    if (following !== url || st.status === last) return;
    last = st.status;
    if (newDevice[st.status]) {
      const [text, cls] = newDevice[st.status](st);
      $("addedStatus").textContent = text;
      $("addedStatus").className = "status " + cls;
    }
    if (token && !waiting) refresh().catch(failed);
  };
  try {
    await poll(`/v1/enrollments/${encodeURIComponent(enrollment)}`, st => following !== url || !["pending", "approval_pending"].includes(st.status), seen);
  } catch (e) {
    if (following === url) {
      $("addedStatus").textContent = e.message;
      $("addedStatus").className = "status bad";
    }
  }
}

// Back on the page (after approving on a device, say), the list is read again.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && token && !waiting) refresh().catch(failed);
});
