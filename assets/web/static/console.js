// The administrators' console: the pages work without this script (forms
// and their buttons); it only submits a checkbox's form when it changes,
// and follows a push the page waits for, submitting the page's form once
// the push is decided.
"use strict";

document.documentElement.classList.add("js");

document.addEventListener("change", (e) => {
  const box = e.target;
  if (box instanceof HTMLInputElement && box.type === "checkbox" && box.hasAttribute("data-autosubmit") && box.form) {
    box.form.submit();
  }
});

function followPush() {
  const approval = document.getElementById("approval");
  const form = document.getElementById("finish");
  const live = document.getElementById("live");
  if (!approval || !form || !live) {
    return;
  }
  const id = approval.dataset.request;
  let delay = 1000;
  const say = (text, state) => {
    live.textContent = text;
    live.className = "live " + state;
  };
  const poll = async () => {
    try {
      const resp = await fetch("/admin/requests/" + encodeURIComponent(id) + "?wait=20s", { headers: { Accept: "application/json" } });
      if (!resp.ok) {
        throw new Error("HTTP " + resp.status);
      }
      const body = await resp.json();
      delay = 1000;
      if (body.status === "pending") {
        say("Waiting for your device…", "waiting");
        setTimeout(poll, 0);
        return;
      }
      if (body.status === "unknown") {
        say("This request is no longer known here; start again.", "reconnecting");
        return;
      }
      say(body.status === "approved" ? "Approved." : "Not approved.", "");
      form.submit();
    } catch (err) {
      say("Reconnecting…", "reconnecting");
      setTimeout(poll, delay);
      delay = Math.min(delay * 2, 15000);
    }
  };
  poll();
}

followPush();
