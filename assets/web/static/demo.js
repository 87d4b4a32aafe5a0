"use strict";
// The demo page: a relying party without a password. It asks the server to
// push a sign-in request to the user's devices, shows the number to type
// there, and follows the request with a long-poll until it is decided,
// through server restarts and network drops (saying "Reconnecting…").
const $ = id => document.getElementById(id);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const hold = 25; // how long the server may hold a long-poll, in seconds
// The back-off after the n-th failure in a row: up to 1, 2, 4 … 30 s, each
// between half that and that.
const backoff = n => { const top = Math.min(30, 2 ** (n - 1)) * 1000; return top / 2 + Math.random() * top / 2; };
const retryable = e => !e.status || e.status === 408 || e.status === 429 || e.status >= 500;

function say(text, cls) { $("result").textContent = text; $("result").className = "status " + (cls || ""); }
function live(text) { $("live").textContent = text; $("live").classList.toggle("hidden", !text); }

// sentence makes a server's message a sentence: capital first, a full stop last.
const sentence = s => !s ? s : s[0].toUpperCase() + s.slice(1) + (/[.!?…]$/.test(s) ? "" : ".");

// call fetches a JSON answer; a refusal throws an Error with the server's
// message, code, enroll_url and HTTP status (status 0: the server was not
// reached, or did not answer within timeout seconds).
async function call(path, init, timeout) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout * 1000);
  let r, body = null;
  try {
    r = await fetch(path, {...init, signal: abort.signal});
    try { body = await r.json(); } catch (e) { body = null; }
  } catch (e) {
    throw Object.assign(new Error(abort.signal.aborted ? "The server did not answer in time." : "Cannot reach the server."), {status: 0});
  } finally {
    clearTimeout(timer);
  }
  if (!r.ok) {
    const err = body && body.error ? body.error : {code: "", message: `The server answered HTTP ${r.status}.`};
    throw Object.assign(new Error(sentence(err.message)), {code: err.code, enrollURL: err.enroll_url, status: r.status});
  }
  return body;
}

// follow long-polls the request until it is decided.
async function follow(id) {
  let failures = 0;
  for (;;) {
    try {
      const st = await call(`/demo/requests/${encodeURIComponent(id)}?wait=${failures ? 0 : hold}s`, {}, hold + 10);
      live("");
      failures = 0;
      if (st.status !== "pending") return st;
    } catch (e) {
      if (!retryable(e)) throw e;
      failures++;
      const ms = backoff(failures);
      live(`${e.message} Reconnecting… (next try in ${Math.ceil(ms / 1000)} s)`);
      await sleep(ms);
    }
  }
}

const verdicts = st => ({
  approved: ["Signed in: the request was approved.", "ok"],
  denied: ["The request was denied" + (st.reason ? ` (${st.reason.replace("_", " ")})` : "") + ".", "bad"],
  fraud: ["Reported as fraud: the account is blocked until an administrator unblocks it.", "bad"],
  expired: ["The request expired without an answer.", "bad"],
}[st.status] || [`The request ended: ${st.status}.`, "bad"]);

$("form").onsubmit = async e => {
  e.preventDefault();
  say("");
  $("submit").disabled = true;
  try {
    const body = await call("/demo/sign-in", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({user: $("user").value.trim()})}, 10);
    $("number").textContent = body.number;
    $("number").classList.toggle("long", String(body.number).length > 3);
    $("waiting").classList.remove("hidden");
    say("Waiting for your approval…");
    const st = await follow(body.id);
    $("waiting").classList.add("hidden");
    say(...verdicts(st));
  } catch (err) {
    $("waiting").classList.add("hidden");
    live("");
    if (err.code === "enrollment_required" && err.enrollURL) {
      const a = document.createElement("a");
      a.href = err.enrollURL;
      a.target = "_blank";
      a.textContent = "set up Countersign for this account";
      const again = document.createElement("button");
      again.type = "button";
      again.textContent = "Continue signing in";
      again.onclick = () => $("form").requestSubmit();
      say("");
      $("result").append("This account has no device yet: first ", a, " (a new tab), then ", again);
    } else {
      say(err.message, "bad");
    }
  } finally {
    $("submit").disabled = false;
  }
};
