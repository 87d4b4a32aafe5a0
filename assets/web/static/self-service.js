const $ = id => document.getElementById(id);
let token = "";
async function api(method, path, body) {
  const r = await fetch(path, {method, headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token}, body: body && JSON.stringify(body)});
  const data = await r.json();
  if (!r.ok) throw new Error(data.error.message);
  return data;
}
async function list() {
  const devices = await api("GET", "/v1/self-service/devices");
  $("devices").innerHTML = "";
  for (const d of devices) {
    const li = document.createElement("li");
    li.textContent = `${d.name} — added ${new Date(d.created).toLocaleDateString()} ${d.active ? "" : "(removed)"} `;
    if (d.active) {
      const b = document.createElement("button");
      b.textContent = "Remove (lost or replaced)";
      b.onclick = async () => {
        if (!confirm(`Remove ${d.name}? It will no longer receive sign-in requests.`)) return;
        try { await api("POST", `/v1/self-service/devices/${d.id}/revoke`); list(); } catch (e) { $("result").textContent = e.message; }
      };
      li.append(b);
    }
    $("devices").append(li);
  }
}
$("signin").onsubmit = async e => {
  e.preventDefault();
  try {
    token = (await api("POST", "/v1/self-service/sign-in", {user: $("user").value, code: $("code").value})).token;
    $("signin").classList.add("hidden"); $("manage").classList.remove("hidden");
    list();
  } catch (err) { $("signinResult").textContent = err.message; }
};
$("add").onclick = async () => {
  try { location.href = (await api("POST", "/v1/self-service/enroll")).enroll_url; } catch (e) { $("result").textContent = e.message; }
};
