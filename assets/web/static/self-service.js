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

// api calls the self-service API; a refusal throws an Error with the
// server's message, code and HTTP status (no status: the server was not
// reached).
async function api(method, path, body) {
  const init = {method, headers: {}};
  if (token) init.headers.Authorization = "Bearer " + token;
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body || {});
  }
  let r;
  try { r = await fetch(path, init); } catch (e) { throw Object.assign(new Error("Cannot reach the server; check the network."), {status: 0}); }
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) {
    const err = data && data.error ? data.error : {code: "", message: `The server answered HTTP ${r.status}; try again.`};
    throw Object.assign(new Error(err.message), {code: err.code, status: r.status});
  }
  return {status: r.status, data};
}

function say(text, cls, note) {
  $("result").textContent = text || "";
  $("result").className = "status " + (cls || "");
  $("note").textContent = note || "";
}

// signedOut goes back to the sign-in form (the session ended or expired).
function signedOut(message, cls) {
  token = "";
  devices = [];
  showOnly("manage", false);
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
}

// actions is a device's remove button, which asks again before removing.
function actions(d) {
  const box = document.createElement("div");
  box.className = "actions";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = d.state === "pending" ? "Turn away" : "Remove (lost or replaced)";
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
    no.textContent = "Cancel";
    no.onclick = () => box.replaceWith(actions(d));
    box.replaceChildren(question, yes, " ", no);
  };
  box.append(remove);
  return box;
}

async function refresh() {
  devices = (await api("GET", "/v1/self-service/devices")).data;
  render();
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
  let st = {status: "pending"};
  let failures = 0;
  while (st.status === "pending") {
    try {
      st = (await api("GET", `/v1/self-service/requests/${encodeURIComponent(a.request_id)}?wait=25s`)).data;
      if (failures) say("");
      failures = 0;
    } catch (e) {
      if (e.status && e.status !== 429 && e.status < 500) {
        waiting = false;
        showOnly("approval", false);
        failed(e);
        render();
        return;
      }
      failures++;
      say(`${e.message} Trying again…`, "bad");
      await sleep(Math.min(30, 2 ** failures) * 1000);
    }
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

$("add").onclick = async () => {
  say("");
  try {
    const url = (await api("POST", "/v1/self-service/enroll", {})).data.enroll_url;
    $("enrollLink").href = url;
    $("enrollLink").textContent = url;
    showOnly("added", true);
  } catch (e) {
    failed(e);
  }
};

// Back on the page (after approving on a device, say), the list is read again.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && token && !waiting) refresh().catch(failed);
});
