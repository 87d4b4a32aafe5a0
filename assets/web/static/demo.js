const $ = id => document.getElementById(id);
function say(text, cls) { $("result").textContent = text; $("result").className = "status " + (cls || ""); }
$("form").onsubmit = async e => {
  e.preventDefault();
  say("");
  const r = await fetch("/demo/sign-in", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({user: $("user").value})});
  const body = await r.json();
  if (!r.ok) {
    if (body.error.code === "enrollment_required" && body.error.enroll_url) {
      say("");
      $("result").innerHTML = "";
      const a = document.createElement("a");
      a.href = body.error.enroll_url; a.target = "_blank"; a.textContent = "set up Countersign for this account";
      const again = document.createElement("button");
      again.textContent = "Continue signing in"; again.onclick = () => $("form").requestSubmit();
      $("result").append("This account has no device yet: first ", a, " (a new tab), then ", again);
    } else say(body.error.message, "bad");
    return;
  }
  $("number").textContent = body.number;
  $("waiting").classList.remove("hidden");
  let st = body;
  while (st.status === "pending") {
    const p = await fetch(`/demo/requests/${body.id}?wait=25s`);
    st = await p.json();
    if (!p.ok) { say(st.error.message, "bad"); return; }
  }
  $("waiting").classList.add("hidden");
  const words = {approved: ["Signed in: the request was approved.", "ok"], denied: ["The request was denied" + (st.reason ? ` (${st.reason.replace("_", " ")})` : "") + ".", "bad"],
    fraud: ["Reported as fraud: the account is blocked until an administrator unblocks it.", "bad"], expired: ["The request expired without an answer.", "bad"]};
  say(...(words[st.status] || [st.status]));
};
